use super::api::*;
use super::matching::*;
use super::parse;
use super::table::{intern_node, intern_pod};
use crate::world::constraints::{SchedulingSpec, TaintEffect, WhenUnsatisfiable};

fn node(labels: &str, taints: &str) -> NodeView {
    let terms = NodeTerms {
        labels: parse::labels(labels).unwrap(),
        taints: parse::taints(taints).unwrap(),
    };
    NodeView::new(1, 0, TaintEffect::None, intern_node(&terms).unwrap())
}

fn spec(terms: PodTerms<String>) -> SchedulingSpec {
    SchedulingSpec {
        terms: intern_pod(&terms).unwrap(),
        ..SchedulingSpec::default()
    }
}

fn tolerating(text: &str) -> SchedulingSpec {
    spec(PodTerms {
        tolerations: parse::tolerations(text).unwrap(),
        ..PodTerms::default()
    })
}

#[test]
fn good_text_parses_to_the_api_shapes() {
    let t = parse::taints("dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule, drain:NoExecute")
        .unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(
        (t[0].key.as_str(), t[0].value.as_str()),
        ("dedicated", "gpu")
    );
    assert_eq!(t[0].effect, TaintEffect::NoSchedule);
    assert_eq!(t[1].effect, TaintEffect::PreferNoSchedule);
    assert_eq!(
        (t[2].value.as_str(), t[2].effect),
        ("", TaintEffect::NoExecute)
    );

    let l = parse::labels("gpu=true, disk=ssd, example.com/tier=").unwrap();
    assert_eq!(l[2].key, "example.com/tier");
    assert_eq!(l[2].value, "");
    assert!(parse::labels("  ").unwrap().is_empty());

    let t =
        parse::tolerations("dedicated=gpu:NoSchedule, gpu, *, *:NoExecute, k=v:NoExecute for 60s")
            .unwrap();
    assert_eq!(t[0].operator, TolerationOperator::Equal);
    assert_eq!(t[0].effect, TaintEffect::NoSchedule);
    assert_eq!(
        (t[1].operator, t[1].effect),
        (TolerationOperator::Exists, TaintEffect::None)
    );
    assert_eq!(t[2].key, None);
    assert_eq!(
        (t[3].key.clone(), t[3].effect),
        (None, TaintEffect::NoExecute)
    );
    assert_eq!(t[4].seconds, Some(60));

    let r = parse::required_terms("disk in (ssd, nvme), gpu | cpu-gen>5, !spot | zone notin (a)")
        .unwrap();
    assert_eq!(r.len(), 3);
    let ops: Vec<_> = r
        .iter()
        .flat_map(|t| &t.requirements)
        .map(|q| q.operator)
        .collect();
    use SelectorOperator::*;
    assert_eq!(ops, [In, Exists, Gt, DoesNotExist, NotIn]);
    assert_eq!(r[0].requirements[0].values, ["ssd", "nvme"]);
    assert_eq!(r[1].requirements[0].number, Some(5));
    let r = parse::required_terms("a=b, c!=d, e<-3, f IN (x)").unwrap();
    let ops: Vec<_> = r[0].requirements.iter().map(|q| q.operator).collect();
    assert_eq!(ops, [In, NotIn, Lt, In]);
    assert_eq!(r[0].requirements[2].number, Some(-3));

    let p = parse::preferred_terms("80: disk=ssd | 20: gpu, cpu-gen>3").unwrap();
    assert_eq!((p[0].weight, p[1].weight), (80, 20));
    assert_eq!(p[1].term.requirements.len(), 2);
}

#[test]
fn bad_text_is_refused_with_the_reason() {
    type Check = fn(&str) -> Result<(), String>;
    let cases: [(Check, &str, &str); 16] = [
        (
            |s| parse::taints(s).map(drop),
            "dedicated=gpu",
            "key=value:Effect",
        ),
        (
            |s| parse::taints(s).map(drop),
            "dedicated=gpu:NoSchedul",
            "invalid taint effect",
        ),
        (
            |s| parse::taints(s).map(drop),
            "-x=gpu:NoSchedule",
            "alphanumeric",
        ),
        (
            |s| parse::taints(s).map(drop),
            "a=b:NoSchedule,a=c:NoSchedule",
            "unique by key and effect",
        ),
        (|s| parse::labels(s).map(drop), "gpu", "key=value"),
        (|s| parse::labels(s).map(drop), "gpu=a b", "label value"),
        (|s| parse::labels(s).map(drop), "a=1,a=2", "twice"),
        (|s| parse::labels(s).map(drop), "a=1,,b=2", "empty"),
        (
            |s| parse::tolerations(s).map(drop),
            "k=v:NoSchedule for 5s",
            "NoExecute",
        ),
        (
            |s| parse::tolerations(s).map(drop),
            "k:Sometimes",
            "invalid taint effect",
        ),
        (
            |s| parse::tolerations(s).map(drop),
            "k:NoExecute for soon",
            "for 300s",
        ),
        (
            |s| parse::required_terms(s).map(drop),
            "disk in ()",
            "must be specified",
        ),
        (
            |s| parse::required_terms(s).map(drop),
            "disk in (ssd",
            "unbalanced",
        ),
        (
            |s| parse::required_terms(s).map(drop),
            "gen>five",
            "integer",
        ),
        (|s| parse::preferred_terms(s).map(drop), "0: gpu", "1-100"),
        (
            |s| parse::preferred_terms(s).map(drop),
            "gpu",
            "weight: term",
        ),
    ];
    for (f, text, why) in cases {
        let err = f(text).expect_err(text);
        assert!(err.contains(why), "{text:?}: {err}");
    }
    let many = vec!["a=b"; 17].join(",");
    assert!(parse::labels(&many).unwrap_err().contains("at most 16"));
}

#[test]
fn equal_toleration_of_one_effect_tolerates_only_that_effect() {
    let n = node("", "dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule");
    let none = SchedulingSpec::default();
    let pod = PodView::new(&none);
    assert_eq!(pod.untolerated(&n), Some(Untolerated::Other));
    assert_eq!(pod.intolerable_prefer_no_schedule(&n), 1);

    let s = tolerating("dedicated=gpu:NoSchedule");
    let pod = PodView::new(&s);
    assert_eq!(pod.untolerated(&n), None);
    let s = tolerating("dedicated=cpu:NoSchedule");
    assert_eq!(PodView::new(&s).untolerated(&n), Some(Untolerated::Other));
    // A NoSchedule toleration does not tolerate the PreferNoSchedule taint.
    let s = tolerating("soft=yes:NoSchedule, dedicated=gpu:NoSchedule");
    assert_eq!(PodView::new(&s).intolerable_prefer_no_schedule(&n), 1);
    let s = tolerating("soft=yes, dedicated=gpu:NoSchedule");
    assert_eq!(PodView::new(&s).intolerable_prefer_no_schedule(&n), 0);
    // Exists with no key tolerates everything; with an effect, only that effect.
    let s = tolerating("*");
    assert_eq!(PodView::new(&s).untolerated(&n), None);
    assert_eq!(PodView::new(&s).intolerable_prefer_no_schedule(&n), 0);
    let s = tolerating("*:PreferNoSchedule");
    assert_eq!(PodView::new(&s).untolerated(&n), Some(Untolerated::Other));
    assert_eq!(PodView::new(&s).intolerable_prefer_no_schedule(&n), 0);
}

#[test]
fn shortcuts_are_the_labels_and_taints_they_stand_for() {
    let n = NodeView::new(2, 1, TaintEffect::NoSchedule, 0);
    let none = SchedulingSpec::default();
    assert_eq!(
        PodView::new(&none).untolerated(&n),
        Some(Untolerated::Dedicated)
    );
    let s = SchedulingSpec {
        tolerates_dedicated: true,
        ..SchedulingSpec::default()
    };
    assert_eq!(
        PodView::new(&s).untolerated(&n),
        Some(Untolerated::Energy(1))
    );
    let s = tolerating("kuberack.io/dedicated:NoSchedule, energy=fire:NoSchedule");
    assert_eq!(PodView::new(&s).untolerated(&n), None);
    let s = spec(PodTerms {
        node_selector: parse::labels("topology.kubernetes.io/zone=zone-b, energy=fire").unwrap(),
        ..PodTerms::default()
    });
    assert!(PodView::new(&s).matches_required(&n));
    let s = spec(PodTerms {
        required: parse::required_terms("topology.kubernetes.io/zone in (zone-a, zone-c)").unwrap(),
        ..PodTerms::default()
    });
    assert!(!PodView::new(&s).matches_required(&n));
}

#[test]
fn no_execute_taints_evict_now_or_after_the_shortest_toleration() {
    let n = node("", "drain=now:NoExecute, soft=yes:NoExecute");
    let none = SchedulingSpec::default();
    assert_eq!(PodView::new(&none).no_execute(&n), NoExecute::EvictNow);
    let s = tolerating("drain:NoExecute for 30s");
    assert_eq!(PodView::new(&s).no_execute(&n), NoExecute::EvictNow);
    let s = tolerating("drain:NoExecute for 30s, soft:NoExecute for 10s");
    assert_eq!(PodView::new(&s).no_execute(&n), NoExecute::EvictAfter(10));
    let s = tolerating("drain:NoExecute for 30s, soft, soft:NoExecute for 5s");
    assert_eq!(PodView::new(&s).no_execute(&n), NoExecute::EvictAfter(30));
    let s = tolerating("*");
    assert_eq!(PodView::new(&s).no_execute(&n), NoExecute::Stay);
}

#[test]
fn node_affinity_operators_and_preferred_weights() {
    let n = node("disk=ssd, gpu=true, cpu-gen=7", "");
    let required = |text: &str| {
        let s = spec(PodTerms {
            required: parse::required_terms(text).unwrap(),
            ..PodTerms::default()
        });
        PodView::new(&s).matches_required(&n)
    };
    assert!(required("disk in (ssd,nvme)"));
    assert!(!required("disk notin (ssd)"));
    assert!(required("disk notin (hdd), spot notin (true)"));
    assert!(required("gpu, !spot"));
    assert!(!required("spot"));
    assert!(required("cpu-gen>5, cpu-gen<8"));
    assert!(!required("cpu-gen>7"));
    assert!(!required("disk>1"), "a non-integer label never compares");
    assert!(required("spot | gpu=true"), "terms are ORed");
    let s = spec(PodTerms {
        node_selector: parse::labels("gpu=true, disk=hdd").unwrap(),
        ..PodTerms::default()
    });
    assert!(!PodView::new(&s).matches_required(&n));
    let s = spec(PodTerms {
        preferred: parse::preferred_terms("80: disk=ssd | 15: gpu, spot | 5: cpu-gen>1").unwrap(),
        ..PodTerms::default()
    });
    let pod = PodView::new(&s);
    assert!(pod.has_preferred());
    assert_eq!(pod.preferred_weight(&n), 85);
    assert!(!PodView::new(&SchedulingSpec::default()).has_preferred());
}

#[test]
fn equal_terms_share_one_id() {
    let a = PodTerms {
        tolerations: parse::tolerations("x=y:NoSchedule").unwrap(),
        ..PodTerms::default()
    };
    assert_eq!(intern_pod(&a).unwrap(), intern_pod(&a.clone()).unwrap());
    assert_eq!(intern_pod(&PodTerms::default()).unwrap(), 0);
    assert_eq!(intern_node(&NodeTerms::default()).unwrap(), 0);
}

#[test]
fn pod_affinity_text_parses_to_required_preferred_and_anti_terms() {
    let t = parse::pod_affinity(
        "app=web on zone; !app=db on hostname; 50: app=cache, tier in (a,b) on \
         kubernetes.io/hostname; 20: !(!canary) on rack; * on example.com/row",
    )
    .unwrap();
    assert_eq!(t.len(), 5);
    assert_eq!((t[0].anti, t[0].weight), (false, None));
    assert_eq!(t[0].topology_key, "topology.kubernetes.io/zone");
    assert_eq!(t[0].selector.match_labels[0].key, "app");
    assert_eq!((t[1].anti, t[1].weight), (true, None));
    assert_eq!(t[1].topology_key, "kubernetes.io/hostname");
    assert_eq!((t[2].anti, t[2].weight), (false, Some(50)));
    assert_eq!(t[2].selector.match_labels.len(), 1);
    assert_eq!(t[2].selector.expressions[0].operator, SelectorOperator::In);
    assert_eq!(t[2].selector.expressions[0].values, ["a", "b"]);
    assert_eq!((t[3].anti, t[3].weight), (true, Some(20)));
    assert_eq!(
        t[3].selector.expressions[0].operator,
        SelectorOperator::DoesNotExist
    );
    assert_eq!(t[3].topology_key, "rack");
    assert_eq!(t[4].selector, LabelSelector::default());
    assert_eq!(parse::pod_affinity("").unwrap(), Vec::new());
}

#[test]
fn bad_pod_affinity_text_is_refused_with_the_reason() {
    for (text, why) in [
        ("app=web", "on topologyKey"),
        ("app=web on ", "topologyKey"),
        ("0: app=web on zone", "1-100"),
        ("101: app=web on zone", "1-100"),
        ("heavy: app=web on zone", "1-100"),
        ("gen>5 on zone", "not Gt"),
        ("app=web on Zone/", "prefix part"),
        ("app=-web on zone", "label value"),
        ("app=a, app=b on zone", "given twice"),
        ("app=web on zone;", "empty"),
        ("() on zone", "needs a requirement"),
    ] {
        let err = parse::pod_affinity(text).expect_err(text);
        assert!(err.contains(why), "{text:?}: {err}");
    }
}

#[test]
fn label_selectors_match_pod_labels_as_upstream() {
    let labels = |text: &str| {
        parse::labels(text)
            .unwrap()
            .iter()
            .map(|l| Label {
                key: super::symbols::intern(&l.key),
                value: super::symbols::intern(&l.value),
            })
            .collect::<Vec<_>>()
    };
    let selects = |selector: &str, pod: &str| {
        let s = parse::label_selector(selector).unwrap();
        let s = LabelSelector {
            match_labels: s
                .match_labels
                .iter()
                .map(|l| Label {
                    key: super::symbols::intern(&l.key),
                    value: super::symbols::intern(&l.value),
                })
                .collect(),
            expressions: s
                .expressions
                .iter()
                .map(|r| Requirement {
                    key: super::symbols::intern(&r.key),
                    operator: r.operator,
                    values: r.values.iter().map(|v| super::symbols::intern(v)).collect(),
                    number: None,
                })
                .collect(),
        };
        selector_matches(&s, &labels(pod))
    };
    assert!(selects("app=web", "app=web, tier=a"));
    assert!(!selects("app=web", "app=db"));
    assert!(!selects("app=web", ""));
    assert!(selects("*", ""));
    assert!(selects("tier in (a,b)", "tier=b"));
    assert!(!selects("tier in (a,b)", "app=web"));
    assert!(selects("tier notin (a)", "app=web"));
    assert!(!selects("tier notin (a)", "tier=a"));
    assert!(selects("tier!=a", "tier=c"));
    assert!(selects("tier", "tier="));
    assert!(!selects("!tier", "tier=x"));
    assert!(selects("(!tier, app=web)", "app=web"));
}

#[test]
fn topology_spread_text_parses_with_upstream_defaults_and_rules() {
    let c = parse::topology_spread(
        "1 on zone; 2 on hostname ScheduleAnyway for app=web; 1 on rack minDomains=3 \
         nodeAffinityPolicy=Ignore nodeTaintsPolicy=Honor for tier in (a,b)",
    )
    .unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].max_skew, 1);
    assert_eq!(c[0].topology_key, "topology.kubernetes.io/zone");
    assert_eq!(c[0].when, WhenUnsatisfiable::DoNotSchedule);
    assert_eq!(c[0].selector, None);
    assert_eq!(c[0].node_affinity_policy, NodeInclusionPolicy::Honor);
    assert_eq!(c[0].node_taints_policy, NodeInclusionPolicy::Ignore);
    assert_eq!(c[1].when, WhenUnsatisfiable::ScheduleAnyway);
    assert_eq!(c[1].selector.as_ref().unwrap().match_labels[0].value, "web");
    assert_eq!(c[2].min_domains, Some(3));
    assert_eq!(c[2].node_affinity_policy, NodeInclusionPolicy::Ignore);
    assert_eq!(c[2].node_taints_policy, NodeInclusionPolicy::Honor);
    for (text, why) in [
        ("0 on zone", "greater than zero"),
        ("1 zone", "maxSkew on topologyKey"),
        ("1 on zone ScheduleAnyway minDomains=2", "DoNotSchedule"),
        ("1 on zone minDomains=0", "greater than zero"),
        ("1 on zone nodeAffinityPolicy=Maybe", "supported values"),
        ("1 on zone soon", "unknown word"),
        ("1 on zone; 2 on zone", "Duplicate"),
        ("1 on zone for gen>3", "not Gt"),
    ] {
        let err = parse::topology_spread(text).expect_err(text);
        assert!(err.contains(why), "{text:?}: {err}");
    }
    // The same key once hard and once soft is allowed.
    assert!(parse::topology_spread("1 on zone; 1 on zone ScheduleAnyway").is_ok());
}
