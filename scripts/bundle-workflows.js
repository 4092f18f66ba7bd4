// Prebuilds the workflow bundle (lib/workflow-bundle.js) so production workers start without webpack.
const { bundleWorkflowCode } = require('@temporalio/worker');
const { writeFile } = require('node:fs/promises');
const path = require('node:path');

(async () => {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', 'lib', 'workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  await writeFile(path.join(__dirname, '..', 'lib', 'workflow-bundle.js'), code);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
