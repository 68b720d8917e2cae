/** The dashboard page's style sheet, served by plumberctl (embedded so the compiled binary has it). */
export const PAGE_CSS = `
:root { --synced:#2e7d32; --applying:#1565c0; --not-ready:#ef6c00; --drift:#8e24aa; --halted:#c2185b;
  --conflict:#d84315; --failed:#b71c1c; --not-targeted:#eceff1; font-family: system-ui, sans-serif; font-size: 13px; }
body { margin: 0; display: flex; flex-direction: column; height: 100vh; color: #222; }
header { display: flex; gap: 16px; align-items: center; padding: 8px 12px; border-bottom: 1px solid #ccc; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; }
#conn { padding: 2px 8px; border-radius: 10px; font-weight: 600; }
#conn.live { background: #e8f5e9; color: #1b5e20; }
#conn.down { background: #ffebee; color: #b71c1c; }
.legend { display: flex; gap: 8px; flex-wrap: wrap; }
.legend span { padding: 1px 6px; border-radius: 3px; color: #fff; }
.legend span.s-not-targeted { color: #607d8b; }
main { display: flex; flex: 1; min-height: 0; }
#wrap { flex: 1; overflow: auto; }
body.stale #wrap { opacity: 0.55; }
table { border-collapse: separate; border-spacing: 0; }
th, td { border-bottom: 1px solid #eee; border-right: 1px solid #eee; padding: 3px 6px; white-space: nowrap; }
thead th { position: sticky; top: 0; background: #fafafa; z-index: 2; text-align: left; vertical-align: top; }
tbody th { position: sticky; left: 0; background: #fff; text-align: left; font-weight: 500; z-index: 1; }
thead th:first-child { left: 0; z-index: 3; }
.col-status { display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 11px; color: #fff; }
.col-Running { background: var(--synced); } .col-Unknown, .col-Unregistered { background: var(--failed); }
.col-Pending { background: #757575; }
.col-meta { font-weight: 400; font-size: 11px; color: #555; }
td { min-width: 64px; text-align: center; cursor: pointer; color: #fff; }
td:focus { outline: 3px solid #000; outline-offset: -3px; }
.s-synced { background: var(--synced); } .s-applying { background: var(--applying); }
.s-not-ready { background: var(--not-ready); } .s-drift { background: var(--drift); }
.s-halted { background: var(--halted); } .s-conflict { background: var(--conflict); }
.s-failed { background: var(--failed); } .s-not-targeted { background: var(--not-targeted); color: #90a4ae; }
#panel { width: 420px; border-left: 1px solid #ccc; overflow: auto; padding: 8px 12px; }
#panel[hidden] { display: none; }
#panel h2 { font-size: 14px; margin: 4px 0; } #panel h3 { font-size: 13px; margin: 12px 0 4px; }
#panel table { width: 100%; } #panel td { color: #222; text-align: left; cursor: auto; white-space: normal; }
#panel .close { float: right; }
.empty { padding: 24px; color: #555; }
`;
