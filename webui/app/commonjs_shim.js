// A classic script run before /vendor/highlight.js/lib/core.js: highlight.js publishes its core only
// as CommonJS (`module.exports = hljs`), so this gives it a `module` object to export into, and
// markdown.js reads the highlighter from window.module.exports.
// @ts-ignore -- deliberately a global for the CommonJS file that follows
window.module = { exports: {} };
