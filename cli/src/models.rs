//! `kuberack models`: every module with its params, ports and lights, from the descriptors.

use std::fmt::Write;

use kuberack_protocol::{
    LightColor, ModuleDescriptor, ModuleRole, ParamDescriptor, ParamKind, PortDescriptor, MODULES,
};

/// The listing of every module, as text.
pub fn describe_all() -> String {
    let mut out = String::new();
    for (i, d) in MODULES.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        describe(d, &mut out);
    }
    out
}

/// Every descriptor as pretty JSON.
pub fn describe_all_json() -> String {
    serde_json::to_string_pretty(MODULES).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn describe(d: &ModuleDescriptor, out: &mut String) {
    let role = match d.role {
        ModuleRole::Hub => "hub",
        ModuleRole::Member => "member",
    };
    let _ = writeln!(out, "{} (model {}, {role}, {} HP)", d.name, d.slug, d.hp);
    let _ = writeln!(out, "  {}", d.description);

    let _ = writeln!(out, "  params:");
    if d.params.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for (i, p) in d.params.iter().enumerate() {
        let _ = writeln!(out, "    {i} {:<13} {}: {}", p.id, p.name, param_range(p));
        let _ = writeln!(out, "      {}", p.description);
    }
    for (title, ports) in [("inputs", d.inputs), ("outputs", d.outputs)] {
        let _ = writeln!(out, "  {title}:");
        if ports.is_empty() {
            let _ = writeln!(out, "    none");
        }
        for (i, p) in ports.iter().enumerate() {
            let _ = writeln!(out, "    {i} {:<13} {}: {}", p.id, p.name, port_signal(p));
            let _ = writeln!(out, "      {}", p.description);
        }
    }
    let _ = writeln!(out, "  lights:");
    if d.lights.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for (i, l) in d.lights.iter().enumerate() {
        let color = match l.color {
            LightColor::Green => "green",
            LightColor::Yellow => "yellow",
            LightColor::Red => "red",
            LightColor::Blue => "blue",
        };
        let _ = writeln!(out, "    {i} {:<13} {color}: {}", l.id, l.description);
    }
}

fn param_range(p: &ParamDescriptor) -> String {
    if p.kind == ParamKind::Switch && !p.labels.is_empty() {
        let default = p.labels.get(p.default as usize).copied().unwrap_or("?");
        return format!("switch {} (default {default})", p.labels.join(" | "));
    }
    let kind = match p.kind {
        ParamKind::Knob => "knob",
        ParamKind::Switch => "switch",
        ParamKind::Button => "button",
    };
    let shown = |raw: f32| format!("{}{}", num(p.display_value(raw)), p.unit);
    let mut s = format!(
        "{kind} {} to {} (default {})",
        shown(p.min),
        shown(p.max),
        shown(p.default)
    );
    let identity = p.display_base == 0.0 && p.display_multiplier == 1.0 && p.display_offset == 0.0;
    if !identity {
        let _ = write!(s, ", raw {} to {}", num(p.min), num(p.max));
    }
    if p.snap {
        s.push_str(", whole steps");
    }
    s
}

fn port_signal(p: &PortDescriptor) -> String {
    let channels = if p.max_channels > 1 {
        format!("poly, up to {} channels", p.max_channels)
    } else {
        "mono".to_owned()
    };
    format!("{}, {} ({channels})", p.kind.label(), p.scale)
}

/// A number with at most three decimals and no trailing zeros.
fn num(x: f32) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}
