// TypeDoc plugin: the categories of the API reference come from the section comments of
// each entry point (src/index.ts, src/internals.ts, src/testing/index.ts). A line comment
// `// @category Name` starts a section; every name exported after it (by `export { … }` or
// `export *`) gets the TSDoc tag `@category Name`, unless its own comment names one.
// An export outside any section is reported as a warning (so `npm run docs:check` fails).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";
import ts from "typescript";

/** Exported name → category, and re-exported module file → category (for `export *`). */
function sections(file) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const byName = new Map();
  const byFile = new Map();
  let current;
  for (const statement of source.statements) {
    for (const range of ts.getLeadingCommentRanges(text, statement.pos) ?? []) {
      const m = /^\/\/\s*@category\s+(.+?)\s*$/.exec(text.slice(range.pos, range.end));
      if (m) current = m[1];
    }
    if (!ts.isExportDeclaration(statement) || !current) continue;
    const clause = statement.exportClause;
    if (clause && ts.isNamedExports(clause)) {
      for (const el of clause.elements) byName.set(el.name.text, current);
    } else if (statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      const target = resolve(dirname(file), statement.moduleSpecifier.text.replace(/\.js$/, ".ts"));
      byFile.set(target, current);
    }
  }
  return { byName, byFile };
}

function hasCategory(comment) {
  return comment?.blockTags.some((t) => t.tag === "@category") ?? false;
}

export function load(app) {
  const pending = [];
  const cache = new Map();
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const parent = reflection.parent;
    if (!parent || !parent.kindOf(ReflectionKind.Module | ReflectionKind.Project)) return;
    const entry = context.getSymbolFromReflection(parent)?.declarations?.[0]?.getSourceFile().fileName;
    if (!entry) return;
    if (!cache.has(entry)) cache.set(entry, sections(entry));
    const { byName, byFile } = cache.get(entry);
    const declFile = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const category = byName.get(reflection.name) ?? (declFile ? byFile.get(resolve(declFile)) : undefined);
    pending.push({ reflection, category, entry });
  });
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, () => {
    for (const { reflection, category, entry } of pending.splice(0)) {
      const sig = reflection.signatures?.[0];
      if (hasCategory(reflection.comment) || hasCategory(sig?.comment)) continue;
      if (!category) {
        app.logger.warn(`${reflection.name} is exported by ${entry} outside a "// @category" section`);
        continue;
      }
      const tag = new CommentTag("@category", [{ kind: "text", text: category }]);
      if (reflection.comment) reflection.comment.blockTags.push(tag);
      else if (sig?.comment) sig.comment.blockTags.push(tag);
      else reflection.comment = new Comment([], [tag]);
    }
  });
}
