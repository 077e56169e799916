// Validate every .glb under a folder with the Khronos glTF-Validator (npm gltf-validator), offline.
//   node validate_glb.mjs DIR   -> one JSON object on stdout: {file: {errors, warnings, infos, messages}}
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import validator from "gltf-validator";

const root = process.argv[2];
const files = (function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".glb") ? [join(dir, e.name)] : []);
})(root);
const out = {};
for (const file of files) {
  const report = await validator.validateBytes(new Uint8Array(readFileSync(file)), {
    uri: file, maxIssues: 50, externalResourceFunction: () => Promise.reject(new Error("no external resources")),
  });
  const issues = report.issues;
  out[relative(root, file)] = {
    errors: issues.numErrors, warnings: issues.numWarnings, infos: issues.numInfos,
    messages: issues.messages.map((m) => `${m.severity} ${m.code} ${m.pointer ?? ""}: ${m.message}`),
  };
}
process.stdout.write(JSON.stringify(out) + "\n");
