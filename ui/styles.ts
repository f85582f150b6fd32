/** The status page's stylesheet (inlined with the page's CSP nonce). Colour is never the only signal: every state also has a word and a glyph. */
export const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #fbfbfd; --fg: #1b1d21; --muted: #5a6070; --card: #ffffff; --line: #d5d9e0; --focus: #1a56db;
  --good: #1e7d3a; --good-bg: #e3f4e8; --busy: #8a5a00; --busy-bg: #fff2cc; --bad: #b3261e; --bad-bg: #fde7e5;
  --off: #5a6070; --off-bg: #eef0f3; --link: #1a56db;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14161a; --fg: #e8eaef; --muted: #a4abb8; --card: #1c1f25; --line: #3a404b; --focus: #8ab4ff;
    --good: #6fd38f; --good-bg: #173524; --busy: #f2c65c; --busy-bg: #3a2f12; --bad: #ff8a80; --bad-bg: #3d1a18;
    --off: #a4abb8; --off-bg: #2a2e36; --link: #8ab4ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--card); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
header { padding: 1rem 1.5rem .5rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { margin: 0 0 .25rem; font-size: 1.4rem; }
.toolbar { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
.toolbar label { font-weight: 600; }
button, select, input { font: inherit; color: inherit; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .3rem .7rem; }
button { cursor: pointer; }
button[aria-pressed="true"] { background: var(--busy-bg); }
nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: .5rem 0 0; padding: 0; }
main { display: grid; gap: 1.25rem; padding: 1.25rem 1.5rem 2rem; max-width: 80rem; margin: 0 auto; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; min-width: 0; }
h2 { margin: 0 0 .5rem; font-size: 1.15rem; }
.lead { margin: .25rem 0 .75rem; }
.note { color: var(--muted); font-size: .9em; }
.provenance { margin: .25rem 0 .5rem; }
.note.stale { color: var(--busy); background: var(--busy-bg); border-left: 4px solid var(--busy); padding: .35rem .6rem; border-radius: 4px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; word-break: break-all; }
#alert { margin: 1rem 1.5rem 0; padding: .75rem 1rem; border-radius: 8px; background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); }
#key-form { margin: 1rem 1.5rem 0; padding: 1rem; border: 1px solid var(--line); border-radius: 8px; background: var(--card); }
.status-line { margin: .25rem 0; color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: .85em; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .9em; white-space: nowrap; border: 1px solid currentColor; }
.tone-good.badge, .swatch.tone-good { color: var(--good); background: var(--good-bg); }
.tone-busy.badge, .swatch.tone-busy { color: var(--busy); background: var(--busy-bg); }
.tone-bad.badge, .swatch.tone-bad { color: var(--bad); background: var(--bad-bg); }
.tone-off.badge, .swatch.tone-off { color: var(--off); background: var(--off-bg); }
.picture { margin: 0; }
svg.mesh { max-width: 100%; height: auto; font-family: inherit; display: block; margin: 0 auto; }
svg .vnet rect { fill: var(--bg); stroke: var(--line); stroke-width: 2; }
svg .vnet-title { font-weight: 700; fill: var(--fg); font-size: 14px; }
svg .vnet-sub { fill: var(--muted); font-size: 12px; }
svg .member circle { stroke-width: 3; }
svg .member.tone-good circle { fill: var(--good-bg); stroke: var(--good); }
svg .member.tone-busy circle { fill: var(--busy-bg); stroke: var(--busy); stroke-dasharray: 6 4; }
svg .member.tone-bad circle { fill: var(--bad-bg); stroke: var(--bad); }
svg .member.tone-off circle { fill: var(--off-bg); stroke: var(--off); stroke-dasharray: 2 4; }
svg .member text { fill: var(--fg); }
svg .member .glyph { font-size: 16px; font-weight: 700; }
svg .member .cilium { font-size: 11px; }
svg .member .name { font-size: 13px; font-weight: 600; }
svg .member .state { font-size: 12px; fill: var(--muted); }
svg .link line { stroke-width: 3; }
svg .link.peered line { stroke: var(--good); }
svg .link.unpeered line { stroke: var(--bad); stroke-dasharray: 8 6; }
svg .link-label { font-size: 12px; fill: var(--fg); paint-order: stroke; stroke: var(--card); stroke-width: 4px; }
svg .member.tone-busy circle { animation: pulse 1.6s ease-in-out infinite; }
@keyframes pulse { 50% { stroke-opacity: .35; } }
.legend { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; list-style: none; padding: 0; margin: .25rem 0 1rem; font-size: .9em; }
.swatch { display: inline-block; width: 1.4em; text-align: center; border-radius: 50%; border: 2px solid currentColor; font-weight: 700; }
.line-swatch { display: inline-block; width: 2em; height: 0; vertical-align: middle; border-top: 3px solid var(--good); }
.line-swatch.unpeered { border-top: 3px dashed var(--bad); }
.diff td:first-child { white-space: nowrap; }
.diff .marker { display: inline-block; width: 1.2em; font-weight: 700; font-family: ui-monospace, monospace; }
.diff .row-add { background: var(--good-bg); }
.diff .row-remove { background: var(--bad-bg); }
.diff .row-error { background: var(--bad-bg); outline: 1px dashed var(--bad); }
.findings { padding-left: 1.1rem; }
.findings li { margin: .4rem 0; }
.weight { white-space: nowrap; }
.bar { display: inline-block; width: 6rem; height: .8rem; background: var(--off-bg); border: 1px solid var(--line); border-radius: 4px; vertical-align: middle; overflow: hidden; }
.bar-fill { display: block; height: 100%; background: var(--link); transition: width .6s ease; }
.timeline-region { max-height: 32rem; overflow-y: auto; }
.timeline { list-style: none; padding: 0; margin: 0 0 0 .5rem; border-left: 3px solid var(--line); }
.timeline > li { position: relative; padding: .25rem 0 .75rem 1rem; }
.timeline > li::before { content: ""; position: absolute; left: -.55rem; top: .6rem; width: .8rem; height: .8rem; border-radius: 50%; background: var(--off); }
.timeline > li.tone-good::before { background: var(--good); }
.timeline > li.tone-busy::before { background: var(--busy); }
.timeline > li.tone-bad::before { background: var(--bad); }
.timeline .when { color: var(--muted); font-size: .85em; }
.timeline ul { margin: .25rem 0 0; padding-left: 1.1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; scroll-behavior: auto !important; }
}
`;
