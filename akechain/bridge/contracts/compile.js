// Compile AkeBridge.sol with the pinned solc-js into AkeBridge.json (ABI + bytecode), offline.
// `node compile.js` writes the artifact; `node compile.js --check` fails if it would change it.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const EVM_VERSION = "shanghai";
const SOURCE = "AkeBridge.sol";
const ARTIFACT = path.join(__dirname, "AkeBridge.json");

function findImport(importPath) {
  try {
    return { contents: fs.readFileSync(require.resolve(importPath, { paths: [__dirname] }), "utf8") };
  } catch (err) {
    return { error: `import not found: ${importPath}` };
  }
}

const input = {
  language: "Solidity",
  sources: { [SOURCE]: { content: fs.readFileSync(path.join(__dirname, SOURCE), "utf8") } },
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { [SOURCE]: { AkeBridge: ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = output.contracts[SOURCE].AkeBridge;
const artifact = JSON.stringify(
  {
    contractName: "AkeBridge",
    compiler: `solc-js ${solc.version()}`,
    evmVersion: EVM_VERSION,
    openzeppelin: require("@openzeppelin/contracts/package.json").version,
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
  },
  null,
  1,
) + "\n";

if (process.argv.includes("--check")) {
  const committed = fs.existsSync(ARTIFACT) ? fs.readFileSync(ARTIFACT, "utf8") : "";
  if (committed !== artifact) {
    console.error(`${ARTIFACT} is stale: run node ${path.relative(process.cwd(), __filename)} and commit it`);
    process.exit(1);
  }
  console.log("AkeBridge.json matches the sources");
} else {
  fs.writeFileSync(ARTIFACT, artifact);
  console.log(`wrote ${ARTIFACT}`);
}
