//! The rule store: `DATA_DIR/rules/*.yaml`, the single source of truth shared with waf-proxy.
//!
//! Every change goes through [`RuleStore::update`]: under one lock it reads the files, applies the
//! change to their parsed form, compiles the *whole* resulting set with waf-core (the proxy's own
//! compiler), and only then writes the changed files atomically (temp file, fsync, rename), keeping
//! the previous versions in `DATA_DIR/rules-history/`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{Mutex, MutexGuard};
use waf_core::model::raw::RawFile;
use waf_core::{Policy, RuleError, RuleErrors, SourceFile};

/// Previous versions kept per file.
pub const HISTORY_KEEP: usize = 10;

/// Header written on top of files the API rewrites.
const HEADER: &str = "# Managed by waf-admin: edits through the API rewrite this file.\n";

/// Why a read or write of the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The new rule set does not compile; nothing was written.
    #[error("rule set does not compile")]
    Invalid(RuleErrors),
    /// File system trouble.
    #[error("rule store I/O: {0}")]
    Io(String),
}

fn io(ctx: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{ctx} {}: {e}", path.display()))
}

/// The rule set as files: name -> parsed content. Sections may be spread over several files; new
/// items go to the section's canonical file (`acl.yaml`, `cc.yaml`, ...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleDoc {
    /// Parsed files, by name.
    pub files: BTreeMap<String, RawFile>,
}

/// A list section of [`RawFile`], with its canonical file.
pub trait Section {
    /// The item type.
    type Item;
    /// The file new items are added to.
    const FILE: &'static str;
    /// The section in one file.
    fn items(f: &mut RawFile) -> &mut Vec<Self::Item>;
}

macro_rules! section {
    ($name:ident, $item:ty, $file:literal, $field:ident) => {
        #[doc = concat!("The `", stringify!($field), "` section.")]
        pub struct $name;
        impl Section for $name {
            type Item = $item;
            const FILE: &'static str = $file;
            fn items(f: &mut RawFile) -> &mut Vec<$item> {
                &mut f.$field
            }
        }
    };
}
section!(
    AclSection,
    waf_core::model::raw::RawAclRule,
    "acl.yaml",
    acl
);
section!(CcSection, waf_core::model::raw::RawCcRule, "cc.yaml", cc);
section!(
    CustomSection,
    waf_core::model::raw::RawCustomRule,
    "custom.yaml",
    custom_rules
);
section!(
    ObsSection,
    waf_core::model::raw::RawObsRule,
    "observe.yaml",
    obs_rules
);
section!(
    SiteSection,
    waf_core::model::raw::RawSite,
    "sites.yaml",
    sites
);

impl RuleDoc {
    /// Every item of a section, in file-name then file order.
    pub fn all<S: Section>(&self) -> Vec<S::Item>
    where
        S::Item: Clone,
    {
        let mut out = Vec::new();
        for f in self.files.values() {
            let mut f = f.clone();
            out.extend(S::items(&mut f).iter().cloned());
        }
        out
    }

    /// The first item for which `pred` holds, mutable.
    pub fn find_mut<S: Section>(
        &mut self,
        pred: impl Fn(&S::Item) -> bool,
    ) -> Option<&mut S::Item> {
        self.files
            .values_mut()
            .flat_map(|f| S::items(f).iter_mut())
            .find(|i| pred(i))
    }

    /// Removes every item for which `pred` holds; returns how many.
    pub fn remove<S: Section>(&mut self, pred: impl Fn(&S::Item) -> bool) -> usize {
        let mut n = 0;
        for f in self.files.values_mut() {
            let items = S::items(f);
            let before = items.len();
            items.retain(|i| !pred(i));
            n += before - items.len();
        }
        n
    }

    /// Appends to the section's canonical file.
    pub fn push<S: Section>(&mut self, item: S::Item) {
        S::items(self.files.entry(S::FILE.to_string()).or_default()).push(item);
    }

    /// The file holding settings (`settings.yaml` when none does).
    pub fn settings_mut(&mut self) -> &mut waf_core::model::raw::RawSettings {
        let name = self
            .files
            .iter()
            .find(|(_, f)| f.settings.is_some())
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| "settings.yaml".into());
        self.files
            .entry(name)
            .or_default()
            .settings
            .get_or_insert_with(Default::default)
    }

    /// The managed-detection switches (in `managed.yaml` when no file has them).
    pub fn managed_mut(&mut self) -> &mut waf_core::model::raw::RawManaged {
        let name = self
            .files
            .iter()
            .find(|(_, f)| f.managed.is_some())
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| "managed.yaml".into());
        self.files
            .entry(name)
            .or_default()
            .managed
            .get_or_insert_with(Default::default)
    }

    /// The observation room's configuration (in `observe.yaml` when no file has it).
    pub fn observation_mut(&mut self) -> &mut waf_core::model::raw::RawObservation {
        let name = self
            .files
            .iter()
            .find(|(_, f)| f.observation.is_some())
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| "observe.yaml".into());
        self.files
            .entry(name)
            .or_default()
            .observation
            .get_or_insert_with(Default::default)
    }

    /// The observation configuration as in effect.
    pub fn observation(&self) -> waf_core::model::raw::RawObservation {
        self.files
            .values()
            .find_map(|f| f.observation.clone())
            .unwrap_or_default()
    }

    /// Settings as in effect (defaults when no file sets them).
    pub fn settings(&self) -> waf_core::model::raw::RawSettings {
        self.files
            .values()
            .find_map(|f| f.settings.clone())
            .unwrap_or_default()
    }

    /// Managed switches as in effect.
    pub fn managed(&self) -> waf_core::model::raw::RawManaged {
        self.files
            .values()
            .find_map(|f| f.managed.clone())
            .unwrap_or_default()
    }
}

/// The rule directory and its write lock.
#[derive(Debug)]
pub struct RuleStore {
    dir: PathBuf,
    history: PathBuf,
    lock: Mutex<()>,
}

/// Proof that the caller holds the write lock, passed to [`RuleStore::commit`].
pub struct WriteGuard<'a>(#[allow(dead_code)] MutexGuard<'a, ()>);

impl RuleStore {
    /// Opens `data_dir/rules`, seeding it with the shipped defaults when it holds no YAML file.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let dir = data_dir.join("rules");
        let history = data_dir.join("rules-history");
        for d in [&dir, &history] {
            fs::create_dir_all(d).map_err(|e| io("create", d, e))?;
        }
        let store = RuleStore {
            dir,
            history,
            lock: Mutex::new(()),
        };
        if store.sources()?.is_empty() {
            for src in waf_core::default_sources() {
                store.write_atomic(&src.name, &src.text)?;
            }
        }
        Ok(store)
    }

    /// The directory waf-proxy reads with `--rules-dir`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every `*.yaml` / `*.yml` file, sorted by name (as waf-proxy reads them).
    pub fn sources(&self) -> Result<Vec<SourceFile>, StoreError> {
        let rd = fs::read_dir(&self.dir).map_err(|e| io("read", &self.dir, e))?;
        let mut paths: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
            })
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                fs::read_to_string(&p)
                    .map(|t| SourceFile::new(name, t))
                    .map_err(|e| io("read", &p, e))
            })
            .collect()
    }

    /// The current files, parsed.
    pub fn load(&self) -> Result<RuleDoc, StoreError> {
        let mut doc = RuleDoc::default();
        let mut errors = RuleErrors::default();
        for src in self.sources()? {
            match waf_core::model::parse_file(&src) {
                Ok(f) => {
                    doc.files.insert(src.name, f);
                }
                Err(e) => errors.push(e),
            }
        }
        errors.into_result(doc).map_err(StoreError::Invalid)
    }

    /// Takes the write lock; hold it across read-modify-[`commit`](Self::commit).
    pub async fn lock(&self) -> WriteGuard<'_> {
        WriteGuard(self.lock.lock().await)
    }

    /// Compiles `new` as a whole and, if it compiles, writes the files that differ from `old`.
    /// Returns the compiled policy. Nothing is written when compilation fails.
    pub fn commit(
        &self,
        _guard: &WriteGuard<'_>,
        old: &RuleDoc,
        new: &RuleDoc,
    ) -> Result<Policy, StoreError> {
        let current = self.sources()?;
        let mut changed = Vec::new();
        let mut sources = Vec::new();
        for (name, file) in &new.files {
            if old.files.get(name) == Some(file) {
                if let Some(src) = current.iter().find(|s| &s.name == name) {
                    sources.push(src.clone());
                    continue;
                }
            }
            let yaml = serde_yaml_ng::to_string(file).map_err(|e| {
                StoreError::Invalid(RuleErrors(vec![RuleError::file(name, None, e.to_string())]))
            })?;
            let text = format!("{HEADER}{yaml}");
            changed.push((name.clone(), text.clone()));
            sources.push(SourceFile::new(name.clone(), text));
        }
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        let policy = Policy::from_sources(&sources).map_err(StoreError::Invalid)?;
        for (name, text) in changed {
            self.write_atomic(&name, &text)?;
        }
        Ok(policy)
    }

    /// Replaces one file: the old version goes to history, the new one is written to a temp file,
    /// fsynced and renamed over it, then the directory is fsynced.
    fn write_atomic(&self, name: &str, text: &str) -> Result<(), StoreError> {
        let target = self.dir.join(name);
        if target.exists() {
            let ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            let backup = self.history.join(format!("{name}.{ms}"));
            fs::copy(&target, &backup).map_err(|e| io("back up", &target, e))?;
            self.prune_history(name)?;
        }
        let tmp = self.dir.join(format!(".{name}.tmp"));
        {
            let mut f = fs::File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| io("write", &tmp, e))?;
        }
        fs::rename(&tmp, &target).map_err(|e| io("rename", &target, e))?;
        if let Ok(d) = fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn prune_history(&self, name: &str) -> Result<(), StoreError> {
        let prefix = format!("{name}.");
        let rd = fs::read_dir(&self.history).map_err(|e| io("read", &self.history, e))?;
        let mut versions: Vec<(u128, PathBuf)> = rd
            .filter_map(Result::ok)
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let ms = n.strip_prefix(&prefix)?.parse().ok()?;
                Some((ms, e.path()))
            })
            .collect();
        versions.sort();
        while versions.len() > HISTORY_KEEP {
            let (_, p) = versions.remove(0);
            let _ = fs::remove_file(p);
        }
        Ok(())
    }

    /// Versions kept for `name`, newest first (file names in the history directory).
    pub fn history(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}.");
        let mut v: Vec<String> = fs::read_dir(&self.history)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(&prefix))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v.reverse();
        v
    }
}
