
# --- appended by bench/apps/run.sh ---
# Uploads (an image in the scenario), the bundled extensions wiki editors use most, and no
# requests of the server's own (job runner, InstantCommons): the recording is the browser's.
$wgEnableUploads = true;
$wgUseImageMagick = false;
$wgUseInstantCommons = false;
$wgJobRunRate = 0;
$wgEnableEmail = false;
wfLoadExtension( 'ParserFunctions' );
wfLoadExtension( 'WikiEditor' );
wfLoadExtension( 'Cite' );
wfLoadExtension( 'SyntaxHighlight_GeSHi' );
