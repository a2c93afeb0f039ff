//! `--record MODULE:OUTPUT`: which module outputs become WAV channels.
//!
//! MODULE is a Rack module id, or a model name (CLUSTER, Node ...) when the patch has exactly
//! one such module. OUTPUT is an output id (ETCD, VOICE ..., any case) or an output index.
//! Each record becomes one WAV channel carrying channel 0 of that output.

use std::fmt;
use std::str::FromStr;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::load::Skipped;

/// A `--record` argument as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpec {
    /// The module part.
    pub module: String,
    /// The output part.
    pub output: String,
}

impl FromStr for RecordSpec {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((m, o)) if !m.trim().is_empty() && !o.trim().is_empty() => Ok(RecordSpec {
                module: m.trim().to_owned(),
                output: o.trim().to_owned(),
            }),
            _ => Err(format!(
                "'{s}' is not MODULE_ID:OUTPUT (for example 4021733012345678:ETCD)"
            )),
        }
    }
}

impl fmt::Display for RecordSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.module, self.output)
    }
}

/// Volts that make a full-scale (1.0) WAV sample, as in Rack's Audio module.
pub const VOLTS_FULL_SCALE: f32 = 10.0;

/// A resolved record: an output of a module in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tap {
    /// Engine index of the module.
    pub module: usize,
    /// Output index.
    pub output: usize,
    /// `ID:OUTPUT (NAME)`, for the summary.
    pub label: String,
}

impl Tap {
    /// Channel 0 of the output now as a WAV sample, scaled as Rack's Audio module scales
    /// what it sends to the sound card: 10 V is full scale (non-finite voltages read 0 V).
    pub fn sample(&self, engine: &Engine) -> f32 {
        let v = engine.modules()[self.module].output_voltage(self.output, 0);
        if v.is_finite() {
            v / VOLTS_FULL_SCALE
        } else {
            0.0
        }
    }
}

/// Finds the output a spec names.
pub fn resolve(spec: &RecordSpec, engine: &Engine, skipped: &[Skipped]) -> Result<Tap> {
    let err = |what: String| Error::usage(format!("--record {spec}: {what}"));
    let index = match spec.module.parse::<i64>() {
        Ok(id) => match engine.index_of(id) {
            Some(i) => i,
            None => {
                if let Some(s) = skipped.iter().find(|s| s.id == id) {
                    return Err(err(format!(
                        "module {id} is {}, which the player does not run",
                        s.name
                    )));
                }
                return Err(err(format!(
                    "the patch has no KubeRack module with id {id} (it has {})",
                    module_list(engine)
                )));
            }
        },
        Err(_) => {
            let found: Vec<usize> = engine
                .modules()
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    let d = m.descriptor();
                    d.name.eq_ignore_ascii_case(&spec.module)
                        || d.slug.eq_ignore_ascii_case(&spec.module)
                })
                .map(|(i, _)| i)
                .collect();
            match found.as_slice() {
                [i] => *i,
                [] => {
                    return Err(err(format!(
                    "'{}' is neither a module id nor the name of a module in the patch (it has {})",
                    spec.module,
                    module_list(engine)
                )))
                }
                many => {
                    let ids: Vec<String> = many
                        .iter()
                        .map(|&i| engine.modules()[i].id().to_string())
                        .collect();
                    return Err(err(format!(
                        "the patch has {} {} modules ({}); name one by its id",
                        many.len(),
                        spec.module,
                        ids.join(", ")
                    )));
                }
            }
        }
    };
    let m = &engine.modules()[index];
    let d = m.descriptor();
    let output = match spec.output.parse::<usize>() {
        Ok(n) if n < d.outputs.len() => n,
        Ok(n) => {
            return Err(err(format!(
                "{} has outputs 0 to {}, not {n}",
                d.name,
                d.outputs.len().saturating_sub(1)
            )))
        }
        Err(_) => d
            .outputs
            .iter()
            .position(|o| o.id.eq_ignore_ascii_case(&spec.output))
            .ok_or_else(|| {
                let ids: Vec<&str> = d.outputs.iter().map(|o| o.id).collect();
                err(format!(
                    "{} has no output {} (its outputs are {})",
                    d.name,
                    spec.output,
                    ids.join(", ")
                ))
            })?,
    };
    Ok(Tap {
        module: index,
        output,
        label: format!("{}:{} ({})", m.id(), d.outputs[output].id, d.name),
    })
}

fn module_list(engine: &Engine) -> String {
    if engine.modules().is_empty() {
        return "none".to_owned();
    }
    engine
        .modules()
        .iter()
        .map(|m| format!("{} {}", m.id(), m.descriptor().name))
        .collect::<Vec<_>>()
        .join(", ")
}
