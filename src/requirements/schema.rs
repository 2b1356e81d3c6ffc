//! The JSON Schema (draft 2020-12) of requirements files, for editors.
//!
//! Written by hand so that it says what [`super::parse`] accepts, no more:
//! the parser stays the authority (it also checks CIDRs, selector operators
//! against their values and duplicate names, which a schema cannot).

use serde_json::{Value, json};

use super::{API_VERSION, KIND};

/// Port syntax: `N/PROTO`, `N-M/PROTO`, `name` or `name/PROTO`.
const PORT_PATTERN: &str = "^([0-9]{1,5}(-[0-9]{1,5})?/(TCP|UDP|SCTP)|[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?(/(TCP|UDP|SCTP))?)$";

/// The schema as a JSON value.
pub fn schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/netpol-lint/netpol-lint/schemas/traffic-requirements.json",
        "title": "netpol-lint traffic requirements",
        "description": "Flows that NetworkPolicies must allow or deny, checked by `netpol-lint check --requirements FILE`.",
        "type": "object",
        "required": ["apiVersion", "kind", "requirements"],
        "additionalProperties": false,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": KIND},
            "requirements": {
                "type": ["array", "null"],
                "items": {"$ref": "#/$defs/requirement"}
            }
        },
        "$defs": {
            "requirement": {
                "type": "object",
                "required": ["from", "to", "expect"],
                "additionalProperties": false,
                "properties": {
                    "name": {
                        "type": "string",
                        "description": "Identifies the requirement in findings; unique in a file."
                    },
                    "description": {"type": "string"},
                    "from": {"$ref": "#/$defs/endpoint"},
                    "to": {"$ref": "#/$defs/endpoint"},
                    "ports": {
                        "type": ["array", "null"],
                        "minItems": 1,
                        "description": "Absent: every port of every protocol.",
                        "items": {"$ref": "#/$defs/port"}
                    },
                    "expect": {
                        "enum": ["allow", "deny"],
                        "description": "allow: every source reaches every destination on every port; deny: none does on any port."
                    }
                },
                "not": {
                    "properties": {
                        "from": {"required": ["ipBlock"]},
                        "to": {"required": ["ipBlock"]}
                    },
                    "required": ["from", "to"]
                }
            },
            "endpoint": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": false,
                "properties": {
                    "namespace": {"type": "string", "description": "A namespace by name."},
                    "namespaceSelector": {"$ref": "#/$defs/labelSelector"},
                    "podSelector": {"$ref": "#/$defs/labelSelector"},
                    "workload": {
                        "type": "string",
                        "pattern": "^[^/]+/[^/]+$",
                        "description": "The pods of one workload, as namespace/name."
                    },
                    "ipBlock": {"$ref": "#/$defs/ipBlock"}
                },
                "allOf": [
                    {"not": {"required": ["namespace", "namespaceSelector"]}},
                    {"if": {"required": ["workload"]}, "then": {"maxProperties": 1}},
                    {"if": {"required": ["ipBlock"]}, "then": {"maxProperties": 1}}
                ]
            },
            "labelSelector": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "matchLabels": {
                        "type": ["object", "null"],
                        "additionalProperties": {"type": "string"}
                    },
                    "matchExpressions": {
                        "type": ["array", "null"],
                        "items": {
                            "type": "object",
                            "required": ["key", "operator"],
                            "additionalProperties": false,
                            "properties": {
                                "key": {"type": "string"},
                                "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                                "values": {"type": ["array", "null"], "items": {"type": "string"}}
                            }
                        }
                    }
                }
            },
            "ipBlock": {
                "type": "object",
                "required": ["cidr"],
                "additionalProperties": false,
                "properties": {
                    "cidr": {"type": "string"},
                    "except": {"type": ["array", "null"], "items": {"type": "string"}}
                }
            },
            "port": {
                "type": "string",
                "pattern": PORT_PATTERN,
                "description": "N/PROTO, N-M/PROTO, or a container port name (optionally name/PROTO)."
            }
        }
    })
}
