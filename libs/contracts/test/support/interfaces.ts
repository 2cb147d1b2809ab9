import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

export interface Field {
  name: string;
  optional: boolean;
}

let checker: ts.TypeChecker | undefined;
let exported: Map<string, ts.Symbol> | undefined;

/** The contracts as the compiler sees them, read once per test file (a few seconds: call it in `beforeAll`). */
export function contracts() {
  if (!checker || !exported) {
    const program = ts.createProgram([INDEX], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const c = program.getTypeChecker();
    const module = c.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
    const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(s) : s);
    exported = new Map(c.getExportsOfModule(module).map((s) => [s.name, resolve(s)]));
    checker = c;
  }
  return { checker, exported };
}

const fieldsOf = (type: ts.Type): Field[] =>
  type.getProperties().map((p) => ({ name: p.name, optional: (p.flags & ts.SymbolFlags.Optional) !== 0 }));

/**
 * The fields of an exported interface or type of libs/contracts (`ChatView`), or of one of its
 * members (`ServerEventPayloads`, `message_received`): what the types say, read by the compiler,
 * for the checks that zod mirrors of those types miss nothing.
 */
export function fieldsOfType(typeName: string, member?: string): Field[] {
  const { checker: c, exported: names } = contracts();
  const symbol = names.get(typeName);
  if (!symbol) throw new Error(`libs/contracts exports no type ${typeName}`);
  const type = c.getDeclaredTypeOfSymbol(symbol);
  if (member === undefined) return fieldsOf(type);
  const property = type.getProperty(member);
  if (!property) throw new Error(`${typeName} has no member ${member}`);
  return fieldsOf(c.getTypeOfSymbol(property));
}
