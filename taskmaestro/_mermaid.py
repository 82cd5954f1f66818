"""Mermaid flowcharts of a workflow graph, edges labelled with the data they carry.

The layout is the seed README's and taskmaestro 0.1.0's (``_start_``/``_end_``
nodes, ``_job_config_`` with dashed edges when a JobConfiguration is given,
``.field: Type`` routes, ``key: ...`` fan-in labels with sorted keys, nested
workflows as subgraphs whose nodes are ``<outer>__<inner>``), except that node
ids are sanitized: a task named ``end`` or ``my task`` still gives valid Mermaid.
A collected field is a junction node ``_collect_<task>_<field>_`` that its members
point at; a mapped task reads ``map over: <key>`` and its items come from the
JobConfiguration.
"""

from __future__ import annotations

import re
import sys

from ._graph import ConfigValues, Edge, Graph, Node
from ._typecompat import format_annotation

__all__ = ["render"]

_INDENT = "    "
_RESERVED = frozenset(
    {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef", "click",
     "linkstyle", "direction", "default", "_start_", "_end_", "_job_config_"}
)  # fmt: skip
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_ .:,\-]+")
_PLAIN_TITLE = re.compile(r"[A-Za-z0-9_ .\-]+")


def render(graph: Graph, job_configuration: ConfigValues | None = None) -> str:
    """The workflow as Mermaid text; the same graph always gives the same text."""
    ids = _Ids()
    title = graph.name if _PLAIN_TITLE.fullmatch(graph.name) else _quote(graph.name)
    lines = ["---", f"title: {title}", "---", "graph TD"]
    lines.append(f'{_INDENT}_start_(("start"))')
    lines.append(f'{_INDENT}_end_(("end"))')
    configured = job_configuration is not None and any(
        _configured(node) for node in graph.nodes.values()
    )
    if configured:
        lines.append(f'{_INDENT}_job_config_[("JobConfiguration")]')
    lines.extend(_body(graph, ids, "", _INDENT))
    for root in graph.roots:
        if root.is_input_root:
            label = _label(_type_name(root.input_model, root))
            lines.append(f"{_INDENT}_start_ -->|{label}| {ids.entry('', root)}")
    lines.extend(_edges(graph, ids, "", _INDENT))
    if configured:
        for name in sorted(n for n, node in graph.nodes.items() if _configured(node)):
            node = graph.nodes[name]
            label = _label(", ".join(sorted(_configured(node))))
            lines.append(f"{_INDENT}_job_config_ -.->|{label}| {ids.entry('', node)}")
    result = graph.nodes[graph.result]
    label = _label(_type_name(result.effective_output, result))
    lines.append(f"{_INDENT}{ids.exit('', result)} -->|{label}| _end_")
    return "\n".join(lines)


def _configured(node: Node) -> tuple[str, ...]:
    """What a task takes from the JobConfiguration: its config fields and map source."""
    if node.mapping is None:
        return node.config_fields
    return (*node.config_fields, node.mapping.over)


def _body(graph: Graph, ids: _Ids, scope: str, indent: str) -> list[str]:
    """Node declarations; a nested workflow becomes a subgraph with its own tasks and edges."""
    lines: list[str] = []
    for node in graph.nodes.values():
        node_id = ids.new(scope, node.name)
        for field, _ in node.collections:
            junction = ids.junction(scope, node.name, field)
            lines.append(f'{indent}{junction}{{{{"collect {_escape(field)}"}}}}')
        if node.mapping is not None:
            over = _escape(node.mapping.over).replace("<", "#lt;").replace(">", "#gt;")
            lines.append(f'{indent}{node_id}["{node.name}<br/>map over: {over}"]')
            continue
        if node.nested is None:
            lines.append(f'{indent}{node_id}["{node.name}"]')
            continue
        inner_scope = f"{scope}{node.name}__"
        lines.append(f'{indent}subgraph {node_id}["{node.name}"]')
        inner = node.nested.graph
        lines.extend(_body(inner, ids, inner_scope, indent + _INDENT))
        lines.extend(_edges(inner, ids, inner_scope, indent + _INDENT))
        lines.append(f"{indent}end")
        ids.nest(scope, node.name, inner, inner_scope)
    return lines


def _edges(graph: Graph, ids: _Ids, scope: str, indent: str) -> list[str]:
    lines = []
    for node in graph.nodes.values():
        target = ids.entry(scope, node)
        collected = dict(node.collections)
        edges = sorted(node.edges, key=_key) if node.fans_in else node.edges
        drawn: set[str] = set()
        for edge in edges:
            field = edge.target_field
            if field in collected and field not in drawn:
                drawn.add(field)
                lines.extend(_collection(graph, ids, scope, indent, node, field))
            if field not in collected:
                source = ids.exit(scope, graph.nodes[edge.source])
                lines.append(f"{indent}{source} -->|{_edge_label(graph, node, edge)}| {target}")
        for field in collected:  # an empty collection has no member edge
            if field not in drawn:
                lines.extend(_collection(graph, ids, scope, indent, node, field))
    return lines


def _collection(
    graph: Graph, ids: _Ids, scope: str, indent: str, node: Node, field: str
) -> list[str]:
    """Members into the junction (labelled with index or key and type), then the field."""
    junction = ids.junction(scope, node.name, field)
    lines = []
    for edge in node.collected(field):
        source = ids.exit(scope, graph.nodes[edge.source])
        type_name = _type_name(graph.value_type(edge), graph.nodes[edge.source])
        lines.append(f"{indent}{source} -->|{_label(f'{edge.member}: {type_name}')}| {junction}")
    annotation = node.input_model.model_fields[field].annotation
    label = _label(f"{field}: {format_annotation(annotation)}")
    lines.append(f"{indent}{junction} -->|{label}| {ids.entry(scope, node)}")
    return lines


def _key(edge: Edge) -> str:
    return edge.target_field or ""


def _edge_label(graph: Graph, node: Node, edge: Edge) -> str:
    type_name = _type_name(graph.value_type(edge), graph.nodes[edge.source])
    if edge.source_field is not None:
        text = f".{edge.source_field}: {type_name}"
        if edge.target_field is not None:
            text = f"{edge.target_field}: {text}"
    elif edge.target_field is not None:
        text = f"{edge.target_field}: {type_name}"
    else:
        text = type_name
    return _label(text)


def _type_name(annotation: object, node: Node) -> str:
    """A type's name as the user wrote it: ``GridCase`` rather than ``ObjectModel[Case]``."""
    if isinstance(annotation, type) and "[" in annotation.__name__:
        for module_name in (node.task.__module__, annotation.__module__):
            module = sys.modules.get(module_name)
            for name, value in vars(module).items() if module is not None else ():
                if value is annotation and name.isidentifier():
                    return name
    return format_annotation(annotation)


def _label(text: str) -> str:
    return text if _PLAIN_LABEL.fullmatch(text) else _quote(text)


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'


def _escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


class _Ids:
    """Valid, unique Mermaid node ids for task names, whatever the names are."""

    def __init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._used: set[str] = set()
        self._entries: dict[str, str] = {}
        self._exits: dict[str, str] = {}

    def new(self, scope: str, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", scope + name)
        if base.lower() in _RESERVED:
            base += "_"
        candidate = self._unique(base)
        self._by_name[scope + name] = candidate
        return candidate

    def _unique(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``, ... if taken; marked as taken."""
        candidate, counter = base, 1
        while candidate in self._used:
            counter += 1
            candidate = f"{base}_{counter}"
        self._used.add(candidate)
        return candidate

    def junction(self, scope: str, task: str, field: str) -> str:
        """The id of the junction node of ``task``'s collected ``field`` (made once)."""
        key = f"{scope}{task}.{field}"  # no instance name holds a '.'
        found = self._by_name.get(key)
        if found is not None:
            return found
        base = re.sub(r"[^A-Za-z0-9_]", "_", f"_collect_{scope}{task}_{field}_")
        candidate = self._unique(base)
        self._by_name[key] = candidate
        return candidate

    def nest(self, scope: str, name: str, inner: Graph, inner_scope: str) -> None:
        """Edges into a nested workflow go to its first unconfigured root, edges out of
        it start at its result task."""
        roots = [root for root in inner.roots if root.is_input_root] or list(inner.roots)
        first = min(roots, key=lambda root: root.name)
        self._entries[scope + name] = self.entry(inner_scope, first)
        self._exits[scope + name] = self.exit(inner_scope, inner.nodes[inner.result])

    def entry(self, scope: str, node: Node) -> str:
        """The id an edge into ``node`` points at."""
        key = scope + node.name
        return self._entries.get(key) or self._by_name[key]

    def exit(self, scope: str, node: Node) -> str:
        """The id an edge out of ``node`` starts at."""
        key = scope + node.name
        return self._exits.get(key) or self._by_name[key]
