//! The one-line forms people type for labels, taints, tolerations and node affinity, parsed
//! and checked by Kubernetes' own rules (PROTOCOL.md, "Labels, taints, tolerations and node
//! affinity"). Entries are separated by commas outside parentheses; node selector terms by
//! `|`.

use super::api::*;
use super::names::{validate_label_value, validate_qualified_name};
use crate::world::constraints::{TaintEffect, WhenUnsatisfiable};

/// Most entries in one list (labels, taints, tolerations, terms, requirements, values).
pub const MAX_ENTRIES: usize = 16;

/// Splits `text` at `sep` outside parentheses; blank text is no entry.
fn split_top(text: &str, sep: char) -> Result<Vec<&str>, String> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("{text:?}: unbalanced ')'"));
                }
            }
            c if c == sep && depth == 0 => {
                out.push(text[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("{text:?}: unbalanced '('"));
    }
    out.push(text[start..].trim());
    if out.len() == 1 && out[0].is_empty() {
        return Ok(Vec::new());
    }
    if let Some(e) = out.iter().position(|e| e.is_empty()) {
        return Err(format!("{text:?}: entry {} is empty", e + 1));
    }
    if out.len() > MAX_ENTRIES {
        return Err(format!(
            "{text:?}: at most {MAX_ENTRIES} entries, not {}",
            out.len()
        ));
    }
    Ok(out)
}

fn key(s: &str) -> Result<String, String> {
    validate_qualified_name(s)?;
    Ok(s.to_string())
}

fn value(s: &str) -> Result<String, String> {
    validate_label_value(s)?;
    Ok(s.to_string())
}

/// A taint effect by its API name.
pub fn effect(s: &str) -> Result<TaintEffect, String> {
    match s {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        other => Err(format!(
            "invalid taint effect: {other:?}, unsupported taint effect (NoSchedule, \
             PreferNoSchedule or NoExecute)"
        )),
    }
}

/// Labels (also a nodeSelector): `key=value, key2=value2`; keys unique.
pub fn labels(text: &str) -> Result<Vec<Label<String>>, String> {
    let mut out: Vec<Label<String>> = Vec::new();
    for e in split_top(text, ',')? {
        let (k, v) = e
            .split_once('=')
            .ok_or_else(|| format!("{e:?}: a label is key=value"))?;
        let label = Label {
            key: key(k.trim())?,
            value: value(v.trim())?,
        };
        if out.iter().any(|l| l.key == label.key) {
            return Err(format!("{:?}: label key given twice", label.key));
        }
        out.push(label);
    }
    Ok(out)
}

/// Label keys a NODE module and the world set themselves.
const NODE_OWN_LABELS: [&str; 3] = [
    crate::world::constraints::LABEL_ZONE,
    crate::world::constraints::LABEL_HOSTNAME,
    super::symbols::LABEL_ENERGY,
];

/// A NODE's labels: [`labels`] without the keys its ZONE switch, the node name and its mana
/// set.
pub fn node_labels(text: &str) -> Result<Vec<Label<String>>, String> {
    let out = labels(text)?;
    if let Some(l) = out
        .iter()
        .find(|l| NODE_OWN_LABELS.contains(&l.key.as_str()))
    {
        return Err(format!(
            "{:?} is set by the module itself (its ZONE switch, the node name or its mana)",
            l.key
        ));
    }
    Ok(out)
}

/// A NODE's taints: [`taints`] without the keys its TAINT switch and its mana set.
pub fn node_taints(text: &str) -> Result<Vec<Taint<String>>, String> {
    let out = taints(text)?;
    let own = [
        crate::world::constraints::TAINT_KEY,
        super::symbols::LABEL_ENERGY,
    ];
    if let Some(t) = out.iter().find(|t| own.contains(&t.key.as_str())) {
        return Err(format!(
            "{:?} is set by the module itself (its TAINT switch or its mana)",
            t.key
        ));
    }
    Ok(out)
}

/// Checks one-line text of a setting's form; the reason when it is refused.
pub fn check(form: kuberack_protocol::TextForm, text: &str) -> Result<(), String> {
    use kuberack_protocol::TextForm as F;
    match form {
        F::Labels => labels(text).map(drop),
        F::NodeLabels => node_labels(text).map(drop),
        F::NodeTaints => node_taints(text).map(drop),
        F::Tolerations => tolerations(text).map(drop),
        F::NodeAffinity => required_terms(text).map(drop),
        F::PreferredNodeAffinity => preferred_terms(text).map(drop),
        F::PodAffinity => pod_affinity(text).map(drop),
        F::TopologySpread => topology_spread(text).map(drop),
    }
}

/// Taints as kubectl takes them: `key=value:Effect` or `key:Effect`; unique by key and effect.
pub fn taints(text: &str) -> Result<Vec<Taint<String>>, String> {
    let mut out: Vec<Taint<String>> = Vec::new();
    for e in split_top(text, ',')? {
        let (kv, eff) = e
            .rsplit_once(':')
            .ok_or_else(|| format!("{e:?}: a taint is key=value:Effect or key:Effect"))?;
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let taint = Taint {
            key: key(k.trim())?,
            value: value(v.trim())?,
            effect: effect(eff.trim())?,
        };
        if out
            .iter()
            .any(|t| t.key == taint.key && t.effect == taint.effect)
        {
            return Err(format!(
                "{e:?}: taints must be unique by key and effect pair"
            ));
        }
        out.push(taint);
    }
    Ok(out)
}

/// One toleration: `[key][=value][:Effect][ for Ns]`, `*` for every key (Exists). A key
/// without `=value` is Exists; with it, Equal. tolerationSeconds only with NoExecute.
fn toleration(e: &str) -> Result<Toleration<String>, String> {
    let (body, seconds) = match e.split_once(" for ") {
        Some((b, s)) => {
            let s = s.trim();
            let n = s
                .strip_suffix('s')
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| format!("{e:?}: tolerationSeconds is written \"for 300s\""))?;
            (b.trim(), Some(n))
        }
        None => (e, None),
    };
    let (kv, eff) = match body.rsplit_once(':') {
        Some((kv, eff)) => (kv.trim(), effect(eff.trim())?),
        None => (body, TaintEffect::None),
    };
    if seconds.is_some() && eff != TaintEffect::NoExecute {
        return Err(format!(
            "{e:?}: effect must be 'NoExecute' when `tolerationSeconds` is set"
        ));
    }
    let t = match kv.split_once('=') {
        _ if kv == "*" || kv.is_empty() => Toleration {
            key: None,
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: eff,
            seconds,
        },
        Some((k, v)) => Toleration {
            key: Some(key(k.trim())?),
            operator: TolerationOperator::Equal,
            value: value(v.trim())?,
            effect: eff,
            seconds,
        },
        None => Toleration {
            key: Some(key(kv)?),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: eff,
            seconds,
        },
    };
    Ok(t)
}

/// Tolerations: `dedicated=gpu:NoSchedule, gpu, *:NoExecute, k=v:NoExecute for 60s`.
pub fn tolerations(text: &str) -> Result<Vec<Toleration<String>>, String> {
    split_top(text, ',')?.into_iter().map(toleration).collect()
}

/// One requirement: `k in (a,b)`, `k notin (a,b)`, `k=v` (In), `k!=v` (NotIn), `k` (Exists),
/// `!k` (DoesNotExist), `k>5` (Gt), `k<5` (Lt).
fn requirement(e: &str) -> Result<Requirement<String>, String> {
    let set = |k: &str, rest: &str, op| -> Result<Requirement<String>, String> {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| format!("{e:?}: the values are written (a,b)"))?;
        let values = split_top(inner, ',')?
            .into_iter()
            .map(value)
            .collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err(format!(
                "{e:?}: values must be specified when `operator` is 'In' or 'NotIn'"
            ));
        }
        Ok(Requirement {
            key: key(k.trim())?,
            operator: op,
            values,
            number: None,
        })
    };
    let words: Vec<&str> = e.splitn(3, char::is_whitespace).collect();
    if words.len() >= 2 {
        let rest = e[words[0].len()..].trim_start();
        let rest_after = rest[words[1].len()..].trim_start();
        match words[1].to_ascii_lowercase().as_str() {
            "in" => return set(words[0], rest_after, SelectorOperator::In),
            "notin" => return set(words[0], rest_after, SelectorOperator::NotIn),
            _ => {}
        }
    }
    let single = |k: &str, v: &str, op| -> Result<Requirement<String>, String> {
        let v = v.trim();
        let number = match op {
            SelectorOperator::Gt | SelectorOperator::Lt => {
                Some(v.parse::<i64>().map_err(|_| {
                    format!("{e:?}: Gt and Lt take a single integer value, not {v:?}")
                })?)
            }
            _ => None,
        };
        Ok(Requirement {
            key: key(k.trim())?,
            operator: op,
            // Gt and Lt take any integer ("-3" is no label value).
            values: vec![if number.is_some() {
                v.to_string()
            } else {
                value(v)?
            }],
            number,
        })
    };
    if let Some((k, v)) = e.split_once("!=") {
        return single(k, v, SelectorOperator::NotIn);
    }
    if let Some((k, v)) = e.split_once("==").or_else(|| e.split_once('=')) {
        return single(k, v, SelectorOperator::In);
    }
    if let Some((k, v)) = e.split_once('>') {
        return single(k, v, SelectorOperator::Gt);
    }
    if let Some((k, v)) = e.split_once('<') {
        return single(k, v, SelectorOperator::Lt);
    }
    let (k, op) = match e.strip_prefix('!') {
        Some(k) => (k.trim(), SelectorOperator::DoesNotExist),
        None => (e, SelectorOperator::Exists),
    };
    Ok(Requirement {
        key: key(k)?,
        operator: op,
        values: Vec::new(),
        number: None,
    })
}

/// One node selector term: requirements separated by commas, all of which must hold.
fn term(text: &str) -> Result<NodeSelectorTerm<String>, String> {
    let requirements = split_top(text, ',')?
        .into_iter()
        .map(requirement)
        .collect::<Result<Vec<_>, _>>()?;
    if requirements.is_empty() {
        return Err(format!("{text:?}: a term needs at least one requirement"));
    }
    Ok(NodeSelectorTerm { requirements })
}

/// Required node affinity: terms separated by `|`, any of which may hold:
/// `disk in (ssd,nvme), gpu | cpu-gen>5`.
pub fn required_terms(text: &str) -> Result<Vec<NodeSelectorTerm<String>>, String> {
    split_top(text, '|')?.into_iter().map(term).collect()
}

/// A preferred term's weight, 1-100 (`entry` names the term when it is refused).
fn weight(w: &str, entry: &str) -> Result<i32, String> {
    w.trim()
        .parse::<i32>()
        .ok()
        .filter(|w| (1..=100).contains(w))
        .ok_or_else(|| format!("{entry:?}: weight must be in the range 1-100"))
}

/// Preferred node affinity: `weight: term` separated by `|`: `80: disk=ssd | 20: gpu`.
pub fn preferred_terms(text: &str) -> Result<Vec<PreferredTerm<String>>, String> {
    split_top(text, '|')?
        .into_iter()
        .map(|e| {
            let (w, t) = e
                .split_once(':')
                .ok_or_else(|| format!("{e:?}: a preferred term is weight: term"))?;
            Ok(PreferredTerm {
                weight: weight(w, e)?,
                term: term(t)?,
            })
        })
        .collect()
}

/// A label selector: `*` (every pod) or requirements separated by commas, `k=v` in
/// matchLabels and the others (`k in (a,b)`, `k notin (a)`, `k!=v`, `k`, `!k`) in
/// matchExpressions; optionally in parentheses.
pub fn label_selector(text: &str) -> Result<LabelSelector<String>, String> {
    let text = text.trim();
    let inner = match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) if split_top(inner, ',').is_ok() => inner.trim(),
        _ => text,
    };
    let mut out = LabelSelector::default();
    if inner == "*" {
        return Ok(out);
    }
    let entries = split_top(inner, ',')?;
    if entries.is_empty() {
        return Err(format!(
            "{text:?}: a label selector needs a requirement (or * for every pod)"
        ));
    }
    for e in entries {
        let plain = e.split_once('=').filter(|(k, v)| {
            !k.ends_with('!') && !v.starts_with('=') && !e.contains('(') && !k.starts_with('!')
        });
        if let Some((k, v)) = plain {
            let label = Label {
                key: key(k.trim())?,
                value: value(v.trim())?,
            };
            if out.match_labels.iter().any(|l| l.key == label.key) {
                return Err(format!("{:?}: label key given twice", label.key));
            }
            out.match_labels.push(label);
            continue;
        }
        let r = requirement(e)?;
        if matches!(r.operator, SelectorOperator::Gt | SelectorOperator::Lt) {
            return Err(format!(
                "{e:?}: a label selector's operator must be In, NotIn, Exists or \
                 DoesNotExist, not {}",
                r.operator.name()
            ));
        }
        out.expressions.push(r);
    }
    Ok(out)
}

/// A topologyKey: `zone` and `hostname` stand for the well-known keys.
pub fn topology_key(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("topologyKey: can not be empty".into()),
        "zone" => Ok(crate::world::constraints::LABEL_ZONE.into()),
        "hostname" => Ok(crate::world::constraints::LABEL_HOSTNAME.into()),
        k => key(k),
    }
}

/// One pod affinity term: `[weight:] [!]selector on topologyKey` (`!`: anti-affinity).
fn pod_affinity_term(e: &str) -> Result<PodAffinityTerm<String>, String> {
    let (weight, body) = match e.split_once(':') {
        Some((w, rest)) => (Some(weight(w, e)?), rest.trim()),
        None => (None, e.trim()),
    };
    let (selector, key) = body.rsplit_once(" on ").ok_or_else(|| {
        format!("{e:?}: a pod affinity term is [weight:] [!]selector on topologyKey")
    })?;
    let selector = selector.trim();
    let (anti, selector) = match selector.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, selector),
    };
    Ok(PodAffinityTerm {
        anti,
        weight,
        selector: label_selector(selector)?,
        topology_key: topology_key(key)?,
    })
}

/// Pod affinity and anti-affinity terms separated by `;`:
/// `app=web on zone; !app=db on hostname; 50: app=cache on kubernetes.io/hostname`.
pub fn pod_affinity(text: &str) -> Result<Vec<PodAffinityTerm<String>>, String> {
    split_top(text, ';')?
        .into_iter()
        .map(pod_affinity_term)
        .collect()
}

fn inclusion_policy(field: &str, v: &str) -> Result<NodeInclusionPolicy, String> {
    match v {
        "Honor" => Ok(NodeInclusionPolicy::Honor),
        "Ignore" => Ok(NodeInclusionPolicy::Ignore),
        other => Err(format!(
            "{field}: Unsupported value: {other:?}: supported values: \"Honor\", \"Ignore\""
        )),
    }
}

/// One constraint: `maxSkew on topologyKey [DoNotSchedule|ScheduleAnyway] [minDomains=N]
/// [nodeAffinityPolicy=Honor|Ignore] [nodeTaintsPolicy=Honor|Ignore] [for selector]`.
fn spread_constraint(e: &str) -> Result<TopologySpreadConstraint<String>, String> {
    let (head, selector) = match e.split_once(" for ") {
        Some((h, s)) => (h.trim(), Some(label_selector(s)?)),
        None => (e.trim(), None),
    };
    let mut words = head.split_whitespace();
    let form = || {
        format!(
            "{e:?}: a constraint is maxSkew on topologyKey [ScheduleAnyway] [minDomains=N] \
             [nodeAffinityPolicy=Ignore] [nodeTaintsPolicy=Honor] [for selector]"
        )
    };
    let max_skew = words
        .next()
        .ok_or_else(form)?
        .parse::<i64>()
        .map_err(|_| form())?;
    if max_skew < 1 {
        return Err(format!("{e:?}: maxSkew: must be greater than zero"));
    }
    if words.next() != Some("on") {
        return Err(form());
    }
    let mut c = TopologySpreadConstraint {
        max_skew: max_skew.min(i64::from(u32::MAX)) as u32,
        topology_key: topology_key(words.next().ok_or_else(form)?)?,
        when: WhenUnsatisfiable::DoNotSchedule,
        min_domains: None,
        node_affinity_policy: NodeInclusionPolicy::Honor,
        node_taints_policy: NodeInclusionPolicy::Ignore,
        selector,
    };
    for w in words {
        match w.split_once('=') {
            None if w == "DoNotSchedule" => c.when = WhenUnsatisfiable::DoNotSchedule,
            None if w == "ScheduleAnyway" => c.when = WhenUnsatisfiable::ScheduleAnyway,
            Some(("minDomains", n)) => {
                let n = n
                    .parse::<i64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{e:?}: minDomains: must be greater than zero"))?;
                c.min_domains = Some(n.min(i64::from(u32::MAX)) as u32);
            }
            Some(("nodeAffinityPolicy", v)) => {
                c.node_affinity_policy = inclusion_policy("nodeAffinityPolicy", v)?
            }
            Some(("nodeTaintsPolicy", v)) => {
                c.node_taints_policy = inclusion_policy("nodeTaintsPolicy", v)?
            }
            _ => return Err(format!("{e:?}: unknown word {w:?}; {}", form())),
        }
    }
    if c.min_domains.is_some() && c.when != WhenUnsatisfiable::DoNotSchedule {
        return Err(format!(
            "{e:?}: minDomains: can only use minDomains if whenUnsatisfiable=DoNotSchedule"
        ));
    }
    Ok(c)
}

/// Topology spread constraints separated by `;`:
/// `1 on zone; 2 on hostname ScheduleAnyway for app=web; 1 on zone minDomains=3`. Without
/// `for`, a constraint selects the pods' own labels. Unique by topologyKey and
/// whenUnsatisfiable.
pub fn topology_spread(text: &str) -> Result<Vec<TopologySpreadConstraint<String>>, String> {
    let out = split_top(text, ';')?
        .into_iter()
        .map(spread_constraint)
        .collect::<Result<Vec<_>, _>>()?;
    for (i, c) in out.iter().enumerate() {
        if out[..i]
            .iter()
            .any(|o| o.topology_key == c.topology_key && o.when == c.when)
        {
            return Err(format!(
                "{:?}: Duplicate value: {{{}, {:?}}}",
                c.topology_key, c.topology_key, c.when
            ));
        }
    }
    Ok(out)
}
