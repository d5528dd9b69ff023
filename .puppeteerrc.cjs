/**
 * Puppeteer (pulled in by @mermaid-js/mermaid-cli, which renders the C4 diagrams) must not
 * download a browser at install time: the diagrams are rendered with Debian's Chromium.
 */
module.exports = {
  skipDownload: true,
  executablePath: process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium',
};
