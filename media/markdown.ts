// Markdown to DOM without innerHTML: markdown-it (raw HTML off) parses to tokens and this
// walks them, creating only allow-listed elements; text is always a text node. Code blocks
// are highlighted by highlight.js, whose output (escaped spans) is parsed in an inert
// document and copied span-by-span, so nothing else can come through.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';

// The languages agents write most; others show as plain code (smaller bundle, faster paint).
for (const [name, language] of Object.entries({
  bash,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  python,
  rust,
  typescript,
  xml,
  yaml,
}))
  hljs.registerLanguage(name, language);

const md = new MarkdownIt({ html: false, linkify: true, breaks: false });
type Token = ReturnType<typeof md.parse>[number];

const BLOCK_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'blockquote',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'hr',
  'strong',
  'em',
  's',
  'a',
]);
const SAFE_LINK = /^(https?:|mailto:)/i;
const MAX_HIGHLIGHT = 20_000;

/** Highlighted code as DOM: only <span class="hljs-..."> and text survive the copy. */
export function highlightedCode(code: string, language: string | undefined): HTMLElement {
  const pre = document.createElement('pre');
  const el = pre.appendChild(document.createElement('code'));
  const lang = language && hljs.getLanguage(language) ? language : undefined;
  if (code.length > MAX_HIGHLIGHT || (!lang && code.length > 2_000)) {
    el.textContent = code;
    return pre;
  }
  const html = lang
    ? hljs.highlight(code, { language: lang, ignoreIllegals: true }).value
    : hljs.highlightAuto(code).value;
  const inert = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  copySpans(inert.body, el);
  el.classList.add('hljs');
  return pre;
}

function copySpans(from: Node, to: Node): void {
  for (const child of Array.from(from.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE)
      to.appendChild(document.createTextNode(child.textContent ?? ''));
    else if (child instanceof Element && child.tagName === 'SPAN') {
      const span = document.createElement('span');
      const cls = child.getAttribute('class');
      if (cls && /^[\w\s-]+$/.test(cls)) span.className = cls;
      copySpans(child, span);
      to.appendChild(span);
    } else to.appendChild(document.createTextNode(child.textContent ?? ''));
  }
}

function inline(tokens: readonly Token[], parent: HTMLElement): void {
  const stack: HTMLElement[] = [parent];
  const top = (): HTMLElement => stack[stack.length - 1]!;
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
        top().appendChild(document.createTextNode(t.content));
        break;
      case 'code_inline':
        top().appendChild(document.createElement('code')).textContent = t.content;
        break;
      case 'softbreak':
        top().appendChild(document.createTextNode('\n'));
        break;
      case 'hardbreak':
        top().appendChild(document.createElement('br'));
        break;
      case 'image': // never load remote images: show the alt text as a link
      case 'link_open': {
        const a = document.createElement('a');
        const href = String(t.attrGet(t.type === 'image' ? 'src' : 'href') ?? '');
        if (SAFE_LINK.test(href)) {
          a.href = href;
          a.title = href;
        }
        if (t.type === 'image') {
          a.textContent = t.content || href;
          top().appendChild(a);
        } else {
          top().appendChild(a);
          stack.push(a);
        }
        break;
      }
      default:
        if (t.nesting === 1 && BLOCK_TAGS.has(t.tag)) {
          stack.push(top().appendChild(document.createElement(t.tag)));
        } else if (t.nesting === -1 && stack.length > 1) {
          stack.pop();
        } else if (t.content) top().appendChild(document.createTextNode(t.content));
    }
  }
}

/** Renders Markdown into `parent` (which is emptied first). */
export function renderMarkdown(source: string, parent: HTMLElement): void {
  parent.replaceChildren();
  const tokens = md.parse(source, {});
  const stack: HTMLElement[] = [parent];
  const top = (): HTMLElement => stack[stack.length - 1]!;
  for (const t of tokens) {
    if (t.type === 'inline') inline(t.children ?? [], top());
    else if (t.type === 'fence' || t.type === 'code_block')
      top().appendChild(
        highlightedCode(t.content.replace(/\n$/, ''), t.info.trim().split(/\s+/)[0]),
      );
    else if (t.type === 'hr') top().appendChild(document.createElement('hr'));
    else if (t.nesting === 1) {
      const tag = BLOCK_TAGS.has(t.tag) ? t.tag : 'div';
      const node = top().appendChild(document.createElement(tag));
      const start = String(t.attrGet('start') ?? '');
      if (tag === 'ol' && /^\d+$/.test(start)) node.setAttribute('start', start);
      stack.push(node);
    } else if (t.nesting === -1 && stack.length > 1) stack.pop();
  }
}
