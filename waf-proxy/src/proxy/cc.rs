//! CC protection on the request path: every CC rule for the host and path counts the request
//! (`waf_core::cc` decides); a banned client is refused with 429, or gets the challenge.

use std::time::{Duration, Instant};

use pingora_proxy::Session;
use waf_core::model::Action;
use waf_core::{AttackType, Match, Policy, RuleRef};

use super::{Ctx, WafProxy};
use crate::error::Refusal;

impl WafProxy {
    /// The refusal for a client banned under any CC rule of this request, if one is; records the
    /// ban's event when this request caused it.
    pub(super) fn cc_refusal(
        &self,
        session: &Session,
        ctx: &mut Ctx,
        policy: &Policy,
    ) -> Option<Refusal> {
        let s = &self.shared;
        if let Some(ip) = ctx
            .client_ip
            .filter(|ip| policy.counts().cc > 0 && !s.cc_allowlist.contains(*ip))
        {
            let path = session.req_header().uri.path().to_string();
            let now = Instant::now();
            let mut refusal = None;
            let host = ctx.host.clone();
            for rule in policy.cc_rules_for(&host, &path) {
                if let waf_core::cc::CcDecision::Banned { retry_after, new } =
                    s.limiter.check(rule, ip, now)
                {
                    if refusal.is_some() {
                        continue;
                    }
                    let challenge = matches!(rule.action, Action::Challenge | Action::Captcha);
                    if challenge && self.cleared(session, ctx) {
                        continue;
                    }
                    let rule_id = RuleRef::Cc(rule.id).to_string();
                    let action = if challenge {
                        rule.action
                    } else {
                        Action::Block
                    };
                    if new {
                        s.stats.cc_ban();
                        let m = Match {
                            rule_id: rule_id.clone(),
                            rule_name: format!(
                                "CC: over {} requests in {} s",
                                rule.threshold,
                                rule.window.as_secs()
                            ),
                            attack_type: AttackType::Cc,
                            action,
                            target: "request".into(),
                            parameter: None,
                            snippet: String::new(),
                        };
                        self.record(session, ctx, &m, action);
                    } else {
                        s.stats.block("cc", &rule_id, action.as_str());
                    }
                    refusal = Some(if rule.action == Action::Captcha {
                        Refusal::Captcha
                    } else if challenge {
                        Refusal::Challenge
                    } else {
                        Refusal::RateLimited {
                            retry_after: retry_after.max(Duration::from_secs(1)),
                            rule_id,
                        }
                    });
                }
            }
            return refusal;
        }
        None
    }
}
