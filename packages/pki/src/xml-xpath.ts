// The XPath subset web pages send NCALayer to name an element: absolute location paths of child
// (/) and descendant (//) steps over element names, `*`, `[n]` and `[@name]` / `[@name='value']`.
// Evaluation is linear in the document per step, so a hostile expression cannot hang the agent.
import { InputError } from "./errors.ts";
import { type XmlDocument, type XmlElement, childElements, descendantElements } from "./xml-tree.ts";

const MAX_EXPRESSION_LENGTH = 1000;
/** Each step may walk the whole document once. */
const MAX_STEPS = 32;

interface NameTest {
  prefix: string;
  local: string; // "*" for any
}

type Predicate = { position: number } | { attribute: NameTest; value?: string };

interface Step {
  descendant: boolean;
  test: NameTest;
  predicates: Predicate[];
}

const NAME = String.raw`[\p{L}_][\p{L}\p{N}\p{M}_.\-]*`;
const QNAME_TEST = new RegExp(String.raw`^(?:(${NAME}):)?(${NAME}|\*)`, "u");
const PREDICATE = new RegExp(
  String.raw`^\[\s*(?:(\d+)|@(?:(${NAME}):)?(${NAME})\s*(?:=\s*(?:'([^']*)'|"([^"]*)"))?)\s*\]`,
  "u",
);

/**
 * The first element, in document order, that `expression` selects in `document` (XPath's
 * selectSingleNode). Unprefixed names match elements without a prefix whatever their default
 * namespace, as page authors expect; prefixes are resolved by the document's own declarations.
 */
export function selectElement(document: XmlDocument, expression: string, what: string): XmlElement {
  const steps = parseExpression(expression, what);
  const namespaces = namespaceResolver(document, expression, what);
  let contexts: (XmlDocument | XmlElement)[] = [document];
  for (const step of steps) {
    const bases = step.descendant ? descendantsOrSelf(contexts, document) : contexts;
    const selected: XmlElement[] = [];
    for (const base of bases) {
      const candidates = base.type === "document" ? [base.root] : childElements(base);
      const matching = candidates.filter((element) => matches(element, step.test, namespaces));
      for (const element of applyPredicates(matching, step, namespaces)) selected.push(element);
    }
    contexts = selected;
  }
  const found = new Set(contexts);
  for (const element of descendantElements(document.root)) if (found.has(element)) return element;
  throw new InputError("xpath_no_match", `${what} ${expression} matches no element`);
}

function parseExpression(expression: string, what: string): Step[] {
  const unsupported = () =>
    new InputError(
      "xpath_unsupported",
      `${what} ${JSON.stringify(expression.slice(0, 100))} is not supported: use an absolute path of element names ` +
        `with / or //, *, [n] and [@attribute='value']`,
    );
  if (expression.length > MAX_EXPRESSION_LENGTH) throw unsupported();
  const steps: Step[] = [];
  let rest = expression.trim();
  while (rest.length > 0) {
    const separator = /^\/\/?/.exec(rest);
    if (!separator) throw unsupported();
    rest = rest.slice(separator[0].length);
    const name = QNAME_TEST.exec(rest);
    if (!name) throw unsupported();
    rest = rest.slice(name[0].length);
    const step: Step = {
      descendant: separator[0] === "//",
      test: { prefix: name[1] ?? "", local: name[2]! },
      predicates: [],
    };
    for (let predicate = PREDICATE.exec(rest); predicate; predicate = PREDICATE.exec(rest)) {
      rest = rest.slice(predicate[0].length);
      if (predicate[1] !== undefined) {
        const position = Number(predicate[1]);
        if (!Number.isSafeInteger(position) || position < 1) throw unsupported();
        step.predicates.push({ position });
      } else {
        step.predicates.push({
          attribute: { prefix: predicate[2] ?? "", local: predicate[3]! },
          value: predicate[4] ?? predicate[5],
        });
      }
    }
    steps.push(step);
  }
  if (steps.length === 0 || steps.length > MAX_STEPS) throw unsupported();
  return steps;
}

/** Resolves the expression's prefixes through the declarations found anywhere in the document. */
function namespaceResolver(
  document: XmlDocument,
  expression: string,
  what: string,
): (prefix: string) => string {
  const bindings = new Map<string, Set<string>>();
  for (const element of descendantElements(document.root)) {
    for (const [prefix, uri] of Object.entries(element.namespaces)) {
      if (!bindings.has(prefix)) bindings.set(prefix, new Set());
      bindings.get(prefix)!.add(uri);
    }
  }
  return (prefix) => {
    const uris = [...(bindings.get(prefix) ?? [])];
    if (uris.length === 1) return uris[0]!;
    throw new InputError(
      "xpath_prefix",
      uris.length === 0
        ? `${what} ${expression}: prefix ${prefix} is not declared in the document`
        : `${what} ${expression}: prefix ${prefix} is bound to several namespaces in the document`,
    );
  };
}

function matches(element: XmlElement, test: NameTest, namespace: (prefix: string) => string): boolean {
  if (test.local !== "*" && element.local !== test.local) return false;
  if (test.prefix) return element.uri === namespace(test.prefix);
  return test.local === "*" || element.prefix === "";
}

function applyPredicates(
  elements: XmlElement[],
  step: Step,
  namespace: (prefix: string) => string,
): XmlElement[] {
  let selected = elements;
  for (const predicate of step.predicates) {
    if ("position" in predicate) {
      const element = selected[predicate.position - 1];
      selected = element ? [element] : [];
    } else {
      const { attribute: test, value } = predicate;
      selected = selected.filter((element) =>
        element.attributes.some(
          (attribute) =>
            attribute.local === test.local &&
            (test.prefix ? attribute.uri === namespace(test.prefix) : attribute.prefix === "") &&
            (value === undefined || attribute.value === value),
        ),
      );
    }
  }
  return selected;
}

/** The contexts and all their descendants, each once and in document order, in one walk. */
function descendantsOrSelf(
  contexts: (XmlDocument | XmlElement)[],
  document: XmlDocument,
): (XmlDocument | XmlElement)[] {
  const starts = new Set<XmlDocument | XmlElement>(contexts);
  const found: (XmlDocument | XmlElement)[] = starts.has(document) ? [document] : [];
  let openContexts = found.length;
  const stack: { element: XmlElement; next: number }[] = [];
  const enter = (element: XmlElement) => {
    if (starts.has(element)) openContexts++;
    if (openContexts > 0) found.push(element);
    stack.push({ element, next: 0 });
  };
  enter(document.root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.element.children[frame.next++];
    if (child === undefined) {
      if (starts.has(frame.element)) openContexts--;
      stack.pop();
    } else if (child.type === "element") {
      enter(child);
    }
  }
  return found;
}
