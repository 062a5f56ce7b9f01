export { buildProgram, main } from "./main.js";
export { EXIT } from "./output.js";
