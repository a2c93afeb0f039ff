//! Building an [`Engine`] from a parsed [`Patch`]: KubeRack modules are created in patch
//! order in one fresh [`Registry`] (so every run is isolated and deterministic), given their
//! saved params and data, and cabled; other plugins' modules are skipped with a warning.

use std::sync::Arc;

use kuberack_core::{create_module, Registry};
use kuberack_protocol::MODULES;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::patch::{Patch, PatchModule, PLUGIN_SLUG};

/// How to set the engine up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadOptions {
    /// Sample rate (Hz).
    pub sample_rate: f32,
    /// When set, overrides the seed saved in the patch, on every module.
    pub seed: Option<u64>,
}

/// A module of another plugin that the player does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Rack's module id.
    pub id: i64,
    /// `plugin/model`.
    pub name: String,
    /// Cables to or from it, which are ignored.
    pub cables: usize,
}

/// A patch ready to play.
pub struct Loaded {
    /// The engine with the patch's KubeRack modules and cables.
    pub engine: Engine,
    /// Modules of other plugins, not run.
    pub skipped: Vec<Skipped>,
    /// What was not loaded as saved (each a sentence), for the user.
    pub warnings: Vec<String>,
    /// The Registry the modules share; kept alive with them.
    pub registry: Arc<Registry>,
}

/// Builds the engine for a patch.
pub fn load(patch: &Patch, options: LoadOptions) -> Result<Loaded> {
    if !(options.sample_rate.is_finite() && options.sample_rate >= 1.0) {
        return Err(Error::usage(format!(
            "the sample rate must be a positive number of Hz, not {}",
            options.sample_rate
        )));
    }
    let registry = Registry::new();
    let mut engine = Engine::new(options.sample_rate);
    let mut warnings = patch.warnings.clone();
    let mut skipped: Vec<Skipped> = Vec::new();

    for m in &patch.modules {
        if !m.is_kuberack() {
            if skipped.iter().any(|s| s.id == m.id) || engine.index_of(m.id).is_some() {
                return Err(Error::patch(format!("two modules have id {}", m.id)));
            }
            skipped.push(Skipped {
                id: m.id,
                name: m.full_name(),
                cables: 0,
            });
            continue;
        }
        if skipped.iter().any(|s| s.id == m.id) {
            return Err(Error::patch(format!("two modules have id {}", m.id)));
        }
        add_module(&mut engine, &registry, m, &mut warnings)?;
    }

    for c in &patch.cables {
        let mut touches_skipped = false;
        for end in [c.output_module, c.input_module] {
            if let Some(s) = skipped.iter_mut().find(|s| s.id == end) {
                s.cables += 1;
                touches_skipped = true;
            }
        }
        if !touches_skipped {
            engine.connect(c.id, (c.output_module, c.output), (c.input_module, c.input))?;
        }
    }

    for s in &skipped {
        let cables = match s.cables {
            0 => String::new(),
            1 => "; its cable is ignored".to_owned(),
            n => format!("; its {n} cables are ignored"),
        };
        warnings.push(format!(
            "skipping module {} ({}): not a {PLUGIN_SLUG} module{cables}",
            s.id, s.name
        ));
    }

    if let Some(seed) = options.seed {
        engine.set_seed(seed);
    }

    Ok(Loaded {
        engine,
        skipped,
        warnings,
        registry,
    })
}

fn add_module(
    engine: &mut Engine,
    registry: &Arc<Registry>,
    m: &PatchModule,
    warnings: &mut Vec<String>,
) -> Result<()> {
    if kuberack_protocol::find(&m.model).is_none() {
        let known: Vec<&str> = MODULES.iter().map(|d| d.slug).collect();
        return Err(Error::patch(format!(
            "module {} is {PLUGIN_SLUG}/{}, which this player does not know (it knows {}); \
             is the patch from a newer {PLUGIN_SLUG}?",
            m.id,
            m.model,
            known.join(", ")
        )));
    }
    let module = create_module(&m.model, registry)
        .map_err(|e| Error::patch(format!("module {}: {e}", m.id)))?;
    let index = engine.add_module(m.id, module)?;
    let instance = &mut engine.modules_mut()[index];
    let name = instance.descriptor().name;

    for p in &m.params {
        if instance.set_param(p.index, p.value).is_none() {
            warnings.push(format!(
                "module {} ({name}): the patch sets param {}, which {name} does not have; ignored",
                m.id, p.index
            ));
        }
    }
    if let Some(data) = &m.data {
        if let Err(e) = instance.module_mut().load(data) {
            warnings.push(format!(
                "module {} ({name}): its saved data could not be loaded, so it keeps its defaults: {e}",
                m.id
            ));
        }
    }
    instance.set_bypassed(m.bypass);
    Ok(())
}
