//! The page's stylesheet (inline: the report is one file).

/// CSS of `report.html`: system fonts, readable widths, striped tables, tier badge colours.
pub const CSS: &str = r#"
:root { --ink: #1e293b; --muted: #64748b; --line: #e2e8f0; --soft: #f8fafc; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f1f5f9; }
header, main, footer { max-width: 1160px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 20px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.lead { font-size: 16px; color: var(--muted); margin: 0 0 10px; }
.legend { font-size: 13px; color: var(--muted); }
nav ul { list-style: none; padding: 0; margin: 12px 0 18px; display: flex; flex-wrap: wrap; gap: 6px; }
nav a { display: inline-block; padding: 3px 10px; border-radius: 14px; background: #fff;
  border: 1px solid var(--line); color: var(--accent); text-decoration: none; font-size: 13px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px;
  margin: 0 0 18px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: auto; min-width: 40%; font-size: 13.5px; margin: 6px 0 12px; }
th { text-align: left; background: var(--soft); border-bottom: 2px solid var(--line);
  padding: 6px 8px; font-weight: 600; white-space: nowrap; }
td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fbfdff; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 6px 0 12px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.tier { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 11.5px;
  font-weight: 600; letter-spacing: .02em; border: 1px solid; white-space: nowrap; }
.tier-measured { color: #166534; background: #dcfce7; border-color: #86efac; }
.tier-simulated { color: #1e40af; background: #dbeafe; border-color: #93c5fd; }
.tier-projected { color: #92400e; background: #fef3c7; border-color: #fcd34d; }
.tier-claimed { color: #6b21a8; background: #f3e8ff; border-color: #d8b4fe; }
figure.chart { margin: 10px 0 16px; }
figure.chart svg { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
.callout { border-left: 4px solid var(--accent); background: #eff6ff; padding: 10px 14px;
  border-radius: 4px; margin: 10px 0; }
.warning { border-left: 4px solid #d97706; background: #fffbeb; padding: 10px 14px; border-radius: 4px; }
.note { color: var(--muted); font-size: 13px; }
pre.text { white-space: pre-wrap; background: var(--soft); border: 1px solid var(--line);
  padding: 10px 12px; border-radius: 6px; font-size: 13px; }
td pre.text { margin: 0; min-width: 480px; }
code { font-size: 13px; background: var(--soft); padding: 0 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 13px; padding-bottom: 30px; }
"#;
