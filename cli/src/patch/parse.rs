//! Parsing Rack 2's `patch.json` into a [`Patch`], with errors that say what is wrong.
//!
//! Follows Rack's own reading (Engine::fromJson, Module::fromJson, Cable::fromJson): a module
//! without an `id` takes its array index, a param without an `id` takes its index in the
//! `params` array, `disabled` is the pre-2.0 name of `bypass` and `wires` the pre-1.0 name of
//! `cables`. Where Rack would silently skip a broken entry, the player refuses the patch:
//! a render must not quietly differ from what the patch says.

use serde_json::{Map, Value};

use super::{normalize_slug, Patch, PatchCable, PatchModule, PatchParam};
use crate::error::{Error, Result};

/// Parses the bytes of a `patch.json`.
pub fn parse_patch(bytes: &[u8]) -> Result<Patch> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Json("the file is empty".into()));
    }
    let root: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json(e.to_string()))?;
    let root = root
        .as_object()
        .ok_or_else(|| Error::patch(format!("the top level is {}, not an object", kind(&root))))?;

    let version = match root.get("version") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(Error::patch(format!(
                "\"version\" is {}, not a string",
                kind(other)
            )))
        }
    };

    let mut warnings = Vec::new();
    let modules_json = match root.get("modules") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(Error::patch(format!(
                "\"modules\" is {}, not an array",
                kind(other)
            )))
        }
        None => return Err(Error::patch("there is no \"modules\" array")),
    };
    let mut modules = Vec::with_capacity(modules_json.len());
    for (index, m) in modules_json.iter().enumerate() {
        modules.push(parse_module(index, m, &mut warnings)?);
    }

    let cables_json = match root.get("cables").or_else(|| root.get("wires")) {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            return Err(Error::patch(format!(
                "\"cables\" is {}, not an array",
                kind(other)
            )))
        }
    };
    let mut cables = Vec::with_capacity(cables_json.len());
    for (index, c) in cables_json.iter().enumerate() {
        cables.push(parse_cable(index, c)?);
    }

    Ok(Patch {
        version,
        modules,
        cables,
        warnings,
    })
}

fn parse_module(index: usize, value: &Value, warnings: &mut Vec<String>) -> Result<PatchModule> {
    let obj = value.as_object().ok_or_else(|| {
        Error::patch(format!("module #{index} is {}, not an object", kind(value)))
    })?;
    let id = match obj.get("id") {
        None => index as i64,
        Some(v) => v.as_i64().ok_or_else(|| {
            Error::patch(format!(
                "module #{index}: \"id\" is {}, not an integer",
                kind(v)
            ))
        })?,
    };
    let at = format!("module #{index} (id {id})");
    let plugin = slug_field(obj, "plugin", &at)?;
    let model = slug_field(obj, "model", &at)?;
    let version = obj
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_owned);

    let bypass = match obj.get("bypass").or_else(|| obj.get("disabled")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::patch(format!(
                "{at}: \"bypass\" is {}, not true or false",
                kind(other)
            )))
        }
    };

    let params = match obj.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => parse_params(a, &at, warnings)?,
        Some(other) => {
            return Err(Error::patch(format!(
                "{at}: \"params\" is {}, not an array",
                kind(other)
            )))
        }
    };

    Ok(PatchModule {
        id,
        plugin,
        model,
        version,
        params,
        bypass,
        data: obj.get("data").filter(|d| !d.is_null()).cloned(),
    })
}

fn parse_params(array: &[Value], at: &str, warnings: &mut Vec<String>) -> Result<Vec<PatchParam>> {
    let mut params = Vec::with_capacity(array.len());
    for (i, p) in array.iter().enumerate() {
        let obj = p.as_object().ok_or_else(|| {
            Error::patch(format!("{at}: param #{i} is {}, not an object", kind(p)))
        })?;
        // Rack 2 writes "id"; v0.6 wrote "paramId"; failing both, the array index.
        let index = match obj.get("id").or_else(|| obj.get("paramId")) {
            None => i,
            Some(v) => match v.as_u64() {
                Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
                None => {
                    warnings.push(format!(
                        "{at}: param #{i} has id {v}, not a param index; ignored"
                    ));
                    continue;
                }
            },
        };
        match obj.get("value") {
            // Rack leaves a param without a value at its default.
            None => {}
            Some(v) => match v.as_f64() {
                Some(value) => params.push(PatchParam { index, value }),
                None => warnings.push(format!(
                    "{at}: param {index} has value {v}, not a number; it keeps its default"
                )),
            },
        }
    }
    Ok(params)
}

fn parse_cable(index: usize, value: &Value) -> Result<PatchCable> {
    let obj = value
        .as_object()
        .ok_or_else(|| Error::patch(format!("cable #{index} is {}, not an object", kind(value))))?;
    let id = match obj.get("id") {
        None => index as i64,
        Some(v) => v.as_i64().ok_or_else(|| {
            Error::patch(format!(
                "cable #{index}: \"id\" is {}, not an integer",
                kind(v)
            ))
        })?,
    };
    let at = format!("cable #{index} (id {id})");
    let int = |field: &str| -> Result<i64> {
        match obj.get(field) {
            None => Err(Error::patch(format!("{at}: \"{field}\" is missing"))),
            Some(v) => v.as_i64().ok_or_else(|| {
                Error::patch(format!("{at}: \"{field}\" is {}, not an integer", kind(v)))
            }),
        }
    };
    let port = |field: &str| -> Result<usize> {
        let n = int(field)?;
        usize::try_from(n)
            .map_err(|_| Error::patch(format!("{at}: \"{field}\" is {n}, not a port index")))
    };
    Ok(PatchCable {
        id,
        output_module: int("outputModuleId")?,
        output: port("outputId")?,
        input_module: int("inputModuleId")?,
        input: port("inputId")?,
    })
}

fn slug_field(obj: &Map<String, Value>, field: &str, at: &str) -> Result<String> {
    match obj.get(field) {
        None => Err(Error::patch(format!("{at}: \"{field}\" is missing"))),
        Some(Value::String(s)) => {
            let slug = normalize_slug(s);
            if slug.is_empty() {
                Err(Error::patch(format!("{at}: \"{field}\" is empty")))
            } else {
                Ok(slug)
            }
        }
        Some(other) => Err(Error::patch(format!(
            "{at}: \"{field}\" is {}, not a string",
            kind(other)
        ))),
    }
}

/// A JSON value's kind, for messages ("a number", "an array" ...).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
