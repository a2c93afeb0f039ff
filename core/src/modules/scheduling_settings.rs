//! A DEPLOYMENT's pod scheduling settings (saved under "scheduling" in its JSON): priority
//! class, preemption policy, toleration of the `kuberack.io/dedicated` taint, zone selector
//! and preference, one topology spread constraint and anti-affinity to its own pods; and the
//! template's own labels, tolerations, nodeSelector and node affinity as one-line text
//! (PROTOCOL.md, "Labels, taints, tolerations and node affinity").

use serde::{Deserialize, Serialize};

use crate::world::constraints::*;
use crate::world::terms::api::{LabelSelector, PodTerms};
use crate::world::terms::{parse, table};

/// The settings as saved, with Kubernetes names and defaults for everything missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SchedulingSettings {
    /// priorityClassName: "", "low", "medium", "high", "system-cluster-critical",
    /// "system-node-critical".
    pub priority_class_name: String,
    /// preemptionPolicy: "PreemptLowerPriority" or "Never".
    pub preemption_policy: String,
    /// Tolerate `kuberack.io/dedicated` (operator Exists, every effect).
    pub tolerate_dedicated: bool,
    /// nodeSelector topology.kubernetes.io/zone: "" or "zone-a".."zone-d".
    pub node_selector_zone: String,
    /// Preferred node affinity (weight 100) to a zone: "" or "zone-a".."zone-d".
    pub preferred_zone: String,
    /// Topology spread maxSkew over the app's pods (0 = no constraint).
    pub topology_spread_max_skew: u32,
    /// Its topologyKey.
    pub topology_spread_key: String,
    /// Its whenUnsatisfiable: "DoNotSchedule" or "ScheduleAnyway".
    pub when_unsatisfiable: String,
    /// Anti-affinity to the app's own pods: "none", "required" or "preferred".
    pub anti_affinity: String,
    /// Its topologyKey.
    pub anti_affinity_topology_key: String,
    /// The template's typed labels, tolerations, nodeSelector and node affinity.
    #[serde(flatten)]
    pub terms: PodTermsSettings,
}

/// A pod template's typed labels, tolerations, nodeSelector and node affinity, as saved
/// (under `scheduling`, by every module that makes pods).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodTermsSettings {
    /// The pods' own labels: `app=web, tier=front`.
    pub labels: String,
    /// Tolerations: `dedicated=gpu:NoSchedule, gpu, *:NoExecute for 60s`.
    pub tolerations: String,
    /// nodeSelector: `disk=ssd, gpu=true`.
    pub node_selector: String,
    /// Required node affinity: `disk in (ssd,nvme), !spot | cpu-gen>5`.
    pub node_affinity: String,
    /// Preferred node affinity: `80: disk=ssd | 20: gpu`.
    pub preferred_node_affinity: String,
    /// Pod affinity and anti-affinity: `app=web on zone; !app=db on hostname`.
    pub pod_affinity: String,
    /// Topology spread constraints: `1 on zone; 2 on hostname ScheduleAnyway for app=web`.
    pub topology_spread: String,
}

impl PodTermsSettings {
    /// The settings saved under `scheduling` in `state` with their interned terms id; refused
    /// text is kept as written (saved again unchanged) but not put in force, and said in the
    /// error with `what` (the module). Unreadable settings load as none.
    pub fn load(
        what: &str,
        state: &serde_json::Value,
    ) -> (PodTermsSettings, u16, Result<(), crate::LoadError>) {
        let terms = match state.get("scheduling") {
            None => Ok(PodTermsSettings::default()),
            Some(v) => PodTermsSettings::deserialize(v).map_err(|e| e.to_string()),
        }
        .and_then(|t| {
            let (ok, refused) = t.accepted();
            Ok((table::intern_pod(&ok.parse()?)?, t, refused))
        });
        let what = format!("{what} scheduling settings");
        match terms {
            Ok((id, t, refused)) => (t, id, crate::modules::refused_text(&what, &refused)),
            Err(e) => (
                PodTermsSettings::default(),
                0,
                Err(crate::LoadError(format!("{what}: {e}; using none"))),
            ),
        }
    }

    /// These settings with every text Kubernetes' rules refuse left empty, and why each was
    /// refused (named by field): what a loaded patch puts in force while it keeps the text
    /// as written.
    pub fn accepted(&self) -> (PodTermsSettings, Vec<String>) {
        use kuberack_protocol::TextForm as F;
        let mut ok = self.clone();
        let mut refused = Vec::new();
        let fields = [
            ("labels", &mut ok.labels, F::Labels),
            ("tolerations", &mut ok.tolerations, F::Tolerations),
            ("nodeSelector", &mut ok.node_selector, F::Labels),
            ("nodeAffinity", &mut ok.node_affinity, F::NodeAffinity),
            (
                "preferredNodeAffinity",
                &mut ok.preferred_node_affinity,
                F::PreferredNodeAffinity,
            ),
            ("podAffinity", &mut ok.pod_affinity, F::PodAffinity),
            ("topologySpread", &mut ok.topology_spread, F::TopologySpread),
        ];
        for (name, text, form) in fields {
            if let Err(e) = parse::check(form, text) {
                refused.push(format!("{name}: {e}"));
                text.clear();
            }
        }
        (ok, refused)
    }

    /// The terms, parsed (what is wrong, named by field).
    pub fn parse(&self) -> Result<PodTerms<String>, String> {
        pod_terms(
            &self.labels,
            &self.tolerations,
            &self.node_selector,
            &self.node_affinity,
            &self.preferred_node_affinity,
        )
        .and_then(|mut t| {
            t.pod_affinity =
                parse::pod_affinity(&self.pod_affinity).map_err(|e| format!("podAffinity: {e}"))?;
            t.spread = parse::topology_spread(&self.topology_spread)
                .map_err(|e| format!("topologySpread: {e}"))?;
            // A constraint without a selector selects the pods' own labels.
            for c in &mut t.spread {
                c.selector.get_or_insert_with(|| LabelSelector {
                    match_labels: t.labels.clone(),
                    expressions: Vec::new(),
                });
            }
            Ok(t)
        })
    }
}

impl Default for SchedulingSettings {
    fn default() -> Self {
        SchedulingSettings {
            priority_class_name: String::new(),
            preemption_policy: "PreemptLowerPriority".into(),
            tolerate_dedicated: false,
            node_selector_zone: String::new(),
            preferred_zone: String::new(),
            topology_spread_max_skew: 0,
            topology_spread_key: LABEL_ZONE.into(),
            when_unsatisfiable: "DoNotSchedule".into(),
            anti_affinity: "none".into(),
            anti_affinity_topology_key: LABEL_HOSTNAME.into(),
            terms: PodTermsSettings::default(),
        }
    }
}

/// The one-line text fields of a pod template, parsed (what they say wrong, named by field).
pub fn pod_terms(
    labels: &str,
    tolerations: &str,
    node_selector: &str,
    node_affinity: &str,
    preferred: &str,
) -> Result<PodTerms<String>, String> {
    Ok(PodTerms {
        labels: parse::labels(labels).map_err(|e| format!("labels: {e}"))?,
        tolerations: parse::tolerations(tolerations).map_err(|e| format!("tolerations: {e}"))?,
        node_selector: parse::labels(node_selector).map_err(|e| format!("nodeSelector: {e}"))?,
        required: parse::required_terms(node_affinity).map_err(|e| format!("nodeAffinity: {e}"))?,
        preferred: parse::preferred_terms(preferred)
            .map_err(|e| format!("preferredNodeAffinity: {e}"))?,
        pod_affinity: Vec::new(),
        spread: Vec::new(),
    })
}

fn zone(field: &str, v: &str) -> Result<u8, String> {
    if v.is_empty() {
        return Ok(0);
    }
    zone_by_name(v).ok_or_else(|| format!("{field}: unknown zone {v:?}"))
}

fn key(field: &str, v: &str) -> Result<TopologyKey, String> {
    TopologyKey::from_label(v).ok_or_else(|| format!("{field}: unknown topology key {v:?}"))
}

impl SchedulingSettings {
    /// The settings in force for these as loaded, and what is refused: the refused text left
    /// empty, and every choice at its default when a choice is refused (the text still
    /// applies then).
    pub fn accepted(&self) -> (SchedulingSettings, Vec<String>) {
        let (terms, mut refused) = self.terms.accepted();
        let mut ok = SchedulingSettings {
            terms,
            ..self.clone()
        };
        if let Err(e) = ok.to_spec() {
            refused.push(e);
            ok = SchedulingSettings {
                terms: ok.terms,
                ..SchedulingSettings::default()
            };
        }
        (ok, refused)
    }

    /// The template's own labels, tolerations, nodeSelector and node affinity.
    pub fn pod_terms(&self) -> Result<PodTerms<String>, String> {
        self.terms.parse()
    }

    /// The template's terms as a manifest writes them: its own, with the shortcuts as the
    /// tolerations, nodeSelector and preferred term they stand for.
    pub fn manifest_terms(&self) -> Result<PodTerms<String>, String> {
        use crate::world::terms::api::*;
        let mut terms = self.pod_terms()?;
        if self.tolerate_dedicated {
            terms.tolerations.push(Toleration {
                key: Some(TAINT_KEY.into()),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: TaintEffect::None,
                seconds: None,
            });
        }
        zone("nodeSelectorZone", &self.node_selector_zone)?;
        zone("preferredZone", &self.preferred_zone)?;
        if !self.node_selector_zone.is_empty() {
            terms.node_selector.push(Label {
                key: LABEL_ZONE.into(),
                value: self.node_selector_zone.clone(),
            });
        }
        if !self.preferred_zone.is_empty() {
            terms.preferred.push(PreferredTerm {
                weight: PREFERRED_WEIGHT as i32,
                term: NodeSelectorTerm {
                    requirements: vec![Requirement {
                        key: LABEL_ZONE.into(),
                        operator: SelectorOperator::In,
                        values: vec![self.preferred_zone.clone()],
                        number: None,
                    }],
                },
            });
        }
        Ok(terms)
    }

    /// The pod spec these settings describe (its terms interned: not on the audio path), or
    /// what is wrong with them.
    pub fn to_spec(&self) -> Result<SchedulingSpec, String> {
        let priority = priority_class_value(&self.priority_class_name).ok_or_else(|| {
            format!(
                "priorityClassName: no PriorityClass {:?}",
                self.priority_class_name
            )
        })?;
        let never_preempt = match self.preemption_policy.as_str() {
            "PreemptLowerPriority" => false,
            "Never" => true,
            other => return Err(format!("preemptionPolicy: {other:?}")),
        };
        // Every field is checked, also those a zero maxSkew leaves unused.
        let spread_key = key("topologySpreadKey", &self.topology_spread_key)?;
        let when = match self.when_unsatisfiable.as_str() {
            "DoNotSchedule" => WhenUnsatisfiable::DoNotSchedule,
            "ScheduleAnyway" => WhenUnsatisfiable::ScheduleAnyway,
            other => return Err(format!("whenUnsatisfiable: {other:?}")),
        };
        let spread = (self.topology_spread_max_skew > 0).then(|| SpreadConstraint {
            max_skew: self.topology_spread_max_skew.min(255),
            key: spread_key,
            when,
        });
        let anti_affinity = match self.anti_affinity.as_str() {
            "none" => AntiAffinity::None,
            "required" => AntiAffinity::Required,
            "preferred" => AntiAffinity::Preferred,
            other => return Err(format!("antiAffinity: {other:?}")),
        };
        Ok(SchedulingSpec {
            priority,
            never_preempt,
            tolerates_dedicated: self.tolerate_dedicated,
            node_selector_zone: zone("nodeSelectorZone", &self.node_selector_zone)?,
            preferred_zone: zone("preferredZone", &self.preferred_zone)?,
            spread,
            anti_affinity,
            anti_affinity_key: key("antiAffinityTopologyKey", &self.anti_affinity_topology_key)?,
            default_spread: true,
            node_selector_energy: 0,
            tolerates_energy: 0,
            terms: table::intern_pod(&self.pod_terms()?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_text_is_left_out_of_force_and_the_rest_applies() {
        let s: SchedulingSettings = serde_json::from_value(serde_json::json!({
            "priorityClassName": "high",
            "labels": "app=web",
            "tolerations": "gpu",
            "podAffinity": "app=web on Zone/",
            "topologySpread": "0 on zone",
        }))
        .unwrap();
        let (ok, refused) = s.accepted();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused[0].starts_with("podAffinity: "), "{refused:?}");
        assert!(refused[1].starts_with("topologySpread: "), "{refused:?}");
        assert_eq!(ok.terms.tolerations, "gpu");
        assert_eq!(ok.terms.labels, "app=web");
        assert_eq!(
            (
                ok.terms.pod_affinity.as_str(),
                ok.terms.topology_spread.as_str()
            ),
            ("", "")
        );
        assert_eq!(ok.to_spec().unwrap().priority, 10_000);
        // A refused choice puts every choice at its default; the text still applies.
        let bad_choice = SchedulingSettings {
            priority_class_name: "urgent".into(),
            ..s.clone()
        };
        let (ok, refused) = bad_choice.accepted();
        assert!(refused.iter().any(|r| r.contains("urgent")), "{refused:?}");
        assert_eq!(ok.priority_class_name, "");
        assert_eq!(ok.terms.tolerations, "gpu");
        // The settings themselves stay as written.
        assert_eq!(s.terms.pod_affinity, "app=web on Zone/");
    }

    #[test]
    fn settings_map_to_the_pod_spec_and_bad_values_are_refused() {
        let s: SchedulingSettings = serde_json::from_value(serde_json::json!({
            "priorityClassName": "high",
            "tolerateDedicated": true,
            "nodeSelectorZone": "zone-b",
            "topologySpreadMaxSkew": 2,
            "whenUnsatisfiable": "ScheduleAnyway",
            "antiAffinity": "required",
        }))
        .unwrap();
        let spec = s.to_spec().unwrap();
        assert_eq!(spec.priority, 10_000);
        assert!(spec.tolerates_dedicated);
        assert_eq!(spec.node_selector_zone, 2);
        let c = spec.spread.unwrap();
        assert_eq!((c.max_skew, c.key), (2, TopologyKey::Zone));
        assert_eq!(c.when, WhenUnsatisfiable::ScheduleAnyway);
        assert_eq!(spec.anti_affinity, AntiAffinity::Required);
        assert_eq!(spec.anti_affinity_key, TopologyKey::Hostname);
        // Packed for the slot and back.
        let back = SchedulingSpec::unpack(spec.priority as u32, spec.pack_flags());
        assert_eq!(back, spec);
        assert_eq!(
            SchedulingSettings::default().to_spec().unwrap(),
            SchedulingSpec::unpack(0, 0)
        );
        let bad = SchedulingSettings {
            priority_class_name: "urgent".into(),
            ..SchedulingSettings::default()
        };
        assert!(bad.to_spec().is_err());
        let bad = SchedulingSettings {
            preferred_zone: "zone-z".into(),
            ..SchedulingSettings::default()
        };
        assert!(bad.to_spec().is_err());
    }
}
