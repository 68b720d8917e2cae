/** The dashboard page's HTML, served by plumberctl (embedded so the compiled binary has it). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>plumber dashboard</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>plumber: Replicators × clusters</h1>
  <span id="conn" class="down" role="status" aria-live="polite">connecting…</span>
  <span id="counts"></span>
  <div class="legend" aria-label="legend">
    <span class="s-synced">synced and ready</span><span class="s-applying">applying</span>
    <span class="s-not-ready">not ready</span><span class="s-drift">drift corrected</span>
    <span class="s-halted">rollout halted</span><span class="s-conflict">conflict</span>
    <span class="s-failed">failed</span><span class="s-not-targeted">not targeted</span>
  </div>
  <span>read-only</span>
</header>
<main>
  <div id="wrap">
    <table id="grid" aria-label="Replicators by cluster"><thead></thead><tbody></tbody></table>
    <p id="empty" class="empty" hidden>No Replicators in the primary.</p>
  </div>
  <aside id="panel" hidden aria-label="details"></aside>
</main>
<script src="/app.js"></script>
</body>
</html>
`;
