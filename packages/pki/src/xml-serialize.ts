// Writes an XmlDocument back as text the way NCALayer's Java serializer does (its XML declaration,
// attributes in source order, empty elements self-closed), escaping as canonical XML does so that
// parsing the text again gives the same tree: a carriage return or a tab in an attribute would not
// survive otherwise.
import { escapeAttribute, leafNode } from "./xml-c14n.ts";
import type { XmlDocument, XmlElement, XmlNode } from "./xml-tree.ts";

const NCALAYER_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>';

export function serializeXml(document: XmlDocument): string {
  let output = NCALAYER_XML_DECLARATION;
  for (const node of document.children)
    output += node.type === "element" ? serializeElement(node) : leaf(node);
  return output;
}

function serializeElement(top: XmlElement): string {
  let output = "";
  const startTag = (element: XmlElement) => {
    output += `<${element.name}`;
    for (const attribute of element.attributes)
      output += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`;
    output += element.children.length === 0 ? "/>" : ">";
  };
  startTag(top);
  const stack: { element: XmlElement; next: number }[] =
    top.children.length > 0 ? [{ element: top, next: 0 }] : [];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.element.children[frame.next++];
    if (child === undefined) {
      output += `</${frame.element.name}>`;
      stack.pop();
    } else if (child.type === "element") {
      startTag(child);
      if (child.children.length > 0) stack.push({ element: child, next: 0 });
    } else {
      output += leaf(child);
    }
  }
  return output;
}

function leaf(node: Exclude<XmlNode, XmlElement>): string {
  // A parsed CDATA section cannot hold "]]>" or a carriage return, so it is written back as it was.
  return node.type === "text" && node.cdata ? `<![CDATA[${node.value}]]>` : leafNode(node);
}
