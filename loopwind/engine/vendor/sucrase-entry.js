// The pieces of Sucrase loopwind's jsx engine uses: transform (TS/JSX -> CommonJS) and the parser,
// whose tokens let the engine check the output before it runs (see loopwind/engine/jsx/transpile.js).
export {transform} from "sucrase";
export {parse} from "sucrase/dist/parser/index";
export {TokenType} from "sucrase/dist/parser/tokenizer/types";
