#!/usr/bin/env python3
"""Generates the Postman collection (schema v2.1.0) of waf-admin from its /openapi.yaml.

    python3 gen.py OPENAPI_YAML_OR_URL > waf-admin.postman_collection.json
    python3 gen.py --check OPENAPI_YAML_OR_URL waf-admin.postman_collection.json

One request per operation, in one folder per tag (GETs first, then writes, then deletes, so a
run reads before it removes). Collection-level auth is Bearer {{token}}; operations documented
with an empty security requirement (public helpers) are set to No Auth; the key-management
endpoints (/api/openapi/keys) use Bearer {{admin_token}}. Variables: base_url, token,
admin_token. Path parameters get example values, required query parameters are filled, optional
ones are listed disabled, JSON bodies are built from the schema. Every request carries a test:
the status is documented for the operation or is a 4xx client error, never an undocumented 5xx,
JSON responses parse, and a 200 answer matches the operation's response schema (inlined from the
document; one call per operation, so unlike schemathesis it is never rate limited).

--check exits 1 when an operation of the document has no request in the collection (or the
reverse), i.e. the shipped collection is out of date.
"""

import json
import sys
import urllib.request

import yaml

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
PATH_EXAMPLES = {"id": "1", "ip": "203.0.113.5", "name": "example"}
QUERY_EXAMPLES = {"page": "1", "page_size": "20", "format": "json", "hours": "1"}


def load(src):
    if src.startswith("http://") or src.startswith("https://"):
        with urllib.request.urlopen(src, timeout=10) as r:
            return yaml.safe_load(r.read())
    with open(src, encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(doc, schema, depth=0):
    """Follows $ref into components."""
    while isinstance(schema, dict) and "$ref" in schema and depth < 20:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc.get("components", {}).get("schemas", {}).get(name, {})
        depth += 1
    return schema or {}


def example(doc, schema, depth=0):
    """A small value conforming to the schema."""
    schema = resolve(doc, schema)
    if depth > 5:
        return None
    if "example" in schema:
        return schema["example"]
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf", "allOf"):
        if schema.get(key):
            return example(doc, schema[key][0], depth + 1)
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        return {k: example(doc, v, depth + 1) for k, v in props.items() if k in required}
    if t == "array":
        return []
    if t == "integer":
        return max(1, schema.get("minimum", 1))
    if t == "number":
        return 1
    if t == "boolean":
        return True
    return "example"


def inline(doc, schema, depth=0):
    """The schema with every $ref replaced by its component, as plain JSON Schema for newman's
    validator: `format` (int64, uint32, ...: OpenAPI's, unknown to it) and examples dropped."""
    if depth > 20:
        return {}
    if isinstance(schema, list):
        return [inline(doc, s, depth + 1) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {**inline(doc, resolve(doc, schema), depth + 1), **inline(doc, rest, depth + 1)}
    out = {}
    for k, v in schema.items():
        if k in ("format", "example", "examples"):
            continue
        if k in ("properties", "patternProperties"):
            out[k] = {name: inline(doc, s, depth + 1) for name, s in v.items()}
        elif k == "allOf":
            # A serde `flatten` of a `deny_unknown_fields` type: its part says
            # `additionalProperties: false`, which the other parts' fields would break.
            out[k] = [{kk: vv for kk, vv in inline(doc, s, depth + 1).items()
                       if not (kk == "additionalProperties" and vv is False)} for s in v]
        else:
            out[k] = inline(doc, v, depth + 1)
    return out


def success_schema(doc, op):
    """The JSON schema of the operation's 200 answer, when it documents one."""
    content = op.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return inline(doc, schema) if schema else None


def test_script(doc, op):
    documented = sorted(int(s) for s in op.get("responses", {}) if s.isdigit())
    lines = [
        "const documented = %s;" % json.dumps(documented),
        "const code = pm.response.code;",
        "pm.test('status ' + code + ' is documented or a client error', function () {",
        "    pm.expect(documented.includes(code) || (code >= 200 && code < 500)).to.be.true;",
        "});",
        "const ct = pm.response.headers.get('Content-Type') || '';",
        "if (ct.includes('application/json')) {",
        "    pm.test('JSON body parses', function () { pm.response.json(); });",
        "}",
    ]
    schema = success_schema(doc, op)
    if schema:
        lines += [
            "const schema = %s;" % json.dumps(schema, sort_keys=True),
            "if (code === 200 && ct.includes('application/json')) {",
            "    pm.test('200 body matches its schema in /openapi.yaml', function () {",
            "        pm.response.to.have.jsonSchema(schema);",
            "    });",
            "}",
        ]
    return lines


def request_item(doc, path, method, op):
    segments, variables = [], []
    for seg in path.strip("/").split("/"):
        if seg.startswith("{") and seg.endswith("}"):
            name = seg[1:-1]
            segments.append(":" + name)
            variables.append({"key": name, "value": PATH_EXAMPLES.get(name, "1")})
        else:
            segments.append(seg)
    query = []
    for p in op.get("parameters", []):
        if p.get("in") != "query":
            continue
        name = p["name"]
        value = QUERY_EXAMPLES.get(name, str(example(doc, p.get("schema", {}))))
        entry = {"key": name, "value": value}
        if not p.get("required"):
            entry["disabled"] = True
        query.append(entry)
    raw = "{{base_url}}/" + "/".join(segments)
    enabled = [q for q in query if not q.get("disabled")]
    if enabled:
        raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in enabled)
    req = {
        "method": method.upper(),
        "header": [],
        "url": {"raw": raw, "host": ["{{base_url}}"], "path": segments},
        "description": op.get("description") or op.get("summary") or "",
    }
    if query:
        req["url"]["query"] = query
    if variables:
        req["url"]["variable"] = variables
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example(doc, content["application/json"].get("schema", {}))
        req["header"].append({"key": "Content-Type", "value": "application/json"})
        req["body"] = {
            "mode": "raw",
            "raw": json.dumps(body, indent=2),
            "options": {"raw": {"language": "json"}},
        }
    elif "multipart/form-data" in content:
        req["body"] = {"mode": "formdata", "formdata": []}
    if op.get("security") == [{}]:
        req["auth"] = {"type": "noauth"}
    elif path.startswith("/api/openapi/"):
        req["auth"] = {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{admin_token}}", "type": "string"}],
        }
    return {
        "name": f"{method.upper()} {path}",
        "request": req,
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": test_script(doc, op)}}],
    }


def operations(doc):
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in METHOD_ORDER:
                yield path, method, op


def build(doc):
    folders = {}
    for path, method, op in operations(doc):
        tag = (op.get("tags") or ["other"])[0]
        folders.setdefault(tag, []).append((METHOD_ORDER[method], path, method, op))
    items = []
    # Key management last: it can revoke the key the rest of a run uses.
    for tag in sorted(folders, key=lambda t: (t == "keys", t)):
        reqs = sorted(folders[tag], key=lambda r: (r[0], r[1]))
        items.append({"name": tag, "item": [request_item(doc, p, m, o) for _, p, m, o in reqs]})
    items.insert(0, {
        "name": "openapi",
        "item": [{
            "name": "GET /openapi.yaml",
            "request": {
                "method": "GET", "header": [], "auth": {"type": "noauth"},
                "url": {"raw": "{{base_url}}/openapi.yaml", "host": ["{{base_url}}"],
                        "path": ["openapi.yaml"]},
                "description": "The OpenAPI document this collection is generated from (public).",
            },
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
                "pm.test('200', function () { pm.response.to.have.status(200); });"]}}],
        }],
    })
    info = doc.get("info", {})
    return {
        "info": {
            "name": info.get("title", "waf-admin"),
            "description": (info.get("description", "") + "\n\nGenerated by admin-api/postman/gen.py "
                            "from /openapi.yaml; do not edit by hand."),
            "schema": SCHEMA,
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]},
        "variable": [
            {"key": "base_url", "value": "http://127.0.0.1:8088"},
            {"key": "token", "value": ""},
            {"key": "admin_token", "value": ""},
        ],
        "item": items,
    }


def names(collection):
    out = set()
    for folder in collection["item"]:
        for it in folder["item"]:
            out.add(it["name"])
    return out


def main(argv):
    if len(argv) == 4 and argv[1] == "--check":
        doc = load(argv[2])
        with open(argv[3], encoding="utf-8") as f:
            shipped = json.load(f)
        want, have = names(build(doc)), names(shipped)
        missing, extra = sorted(want - have), sorted(have - want)
        for n in missing:
            print(f"missing from the collection: {n}", file=sys.stderr)
        for n in extra:
            print(f"in the collection but not in /openapi.yaml: {n}", file=sys.stderr)
        if missing or extra:
            print("regenerate: python3 admin-api/postman/gen.py URL > "
                  "admin-api/postman/waf-admin.postman_collection.json", file=sys.stderr)
            return 1
        print(f"collection covers all {len(want) - 1} operations of /openapi.yaml")
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(build(load(argv[1])), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
