//! Model descriptors as C structs: built once from `kuberack_protocol::MODULES`, with
//! NUL-terminated strings that live for the whole process.

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use kuberack_protocol::{
    LightColor, LightDescriptor, ModuleDescriptor, ModuleRole, ParamDescriptor, ParamKind,
    PortDescriptor, SettingDescriptor, SignalKind, MODULES,
};

use crate::guard;
use crate::status::KrStatus;

/// A module model: what Rack's module browser and the shim's constructor need.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrModelInfo {
    /// Rack model slug.
    pub slug: *const c_char,
    /// Name in the module browser.
    pub name: *const c_char,
    /// One-line description.
    pub description: *const c_char,
    /// Rack tags, comma-separated without spaces around the commas.
    pub tags: *const c_char,
    /// 0 hub (owns a cluster), 1 member (joins one through its API input).
    pub role: u32,
    /// Panel width in HP.
    pub hp: u32,
    /// Number of params.
    pub num_params: u32,
    /// Number of inputs.
    pub num_inputs: u32,
    /// Number of outputs.
    pub num_outputs: u32,
    /// Number of lights.
    pub num_lights: u32,
    /// Number of context-menu settings.
    pub num_settings: u32,
}

/// A param (knob, switch or button), shaped for Rack's `configParam`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrParamInfo {
    /// Stable identifier.
    pub id: *const c_char,
    /// Tooltip name.
    pub name: *const c_char,
    /// What it does.
    pub description: *const c_char,
    /// Unit shown after the value (may start with a space).
    pub unit: *const c_char,
    /// Lowest raw value.
    pub min: f32,
    /// Highest raw value.
    pub max: f32,
    /// Raw value on initialisation.
    pub default_value: f32,
    /// Rack's displayBase.
    pub display_base: f32,
    /// Rack's displayMultiplier.
    pub display_multiplier: f32,
    /// Rack's displayOffset.
    pub display_offset: f32,
    /// 1 when the value snaps to integers.
    pub snap: u8,
    /// 0 knob, 1 switch, 2 button.
    pub kind: u8,
    /// Number of switch position labels (0 for knobs and buttons).
    pub num_labels: u32,
    /// `num_labels` position labels; NULL when there are none.
    pub labels: *const *const c_char,
    /// Panel position of the component's centre, mm from the left.
    pub x_mm: f32,
    /// Panel position of the component's centre, mm from the top.
    pub y_mm: f32,
}

/// An input or output port.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrPortInfo {
    /// Stable identifier.
    pub id: *const c_char,
    /// Tooltip name.
    pub name: *const c_char,
    /// What the signal means.
    pub description: *const c_char,
    /// How a quantity maps to volts.
    pub scale: *const c_char,
    /// 0 gate, 1 trigger, 2 unipolar CV, 3 bipolar CV, 4 audio, 5 reference.
    pub signal_kind: u32,
    /// Most channels the port carries (1 = monophonic).
    pub max_channels: u32,
    /// Panel position of the jack's centre, mm from the left.
    pub x_mm: f32,
    /// Panel position of the jack's centre, mm from the top.
    pub y_mm: f32,
}

/// A light (LED).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrLightInfo {
    /// Stable identifier.
    pub id: *const c_char,
    /// Tooltip name.
    pub name: *const c_char,
    /// What its brightness means.
    pub description: *const c_char,
    /// 0 green, 1 yellow, 2 red, 3 blue.
    pub color: u32,
    /// Panel position of the light's centre, mm from the left.
    pub x_mm: f32,
    /// Panel position of the light's centre, mm from the top.
    pub y_mm: f32,
}

/// A setting saved in the module's JSON, chosen from its context menu.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrSettingInfo {
    /// Dotted path of the key in the module's saved JSON (`scheduling.priorityClassName`).
    pub key: *const c_char,
    /// Context-menu heading the setting sits under.
    pub group: *const c_char,
    /// Name shown in the menu.
    pub name: *const c_char,
    /// What it does.
    pub description: *const c_char,
    /// Number of choices.
    pub num_choices: u32,
    /// Index of the choice in force when the key is missing.
    pub default_choice: u32,
    /// `num_choices` menu labels.
    pub choice_labels: *const *const c_char,
    /// `num_choices` values, each as JSON text.
    pub choice_values: *const *const c_char,
}

/// One model's C structs.
struct Model {
    info: KrModelInfo,
    params: Vec<KrParamInfo>,
    inputs: Vec<KrPortInfo>,
    outputs: Vec<KrPortInfo>,
    lights: Vec<KrLightInfo>,
    settings: Vec<KrSettingInfo>,
}

/// Every model's C structs and the heap storage their pointers point into.
struct Catalog {
    models: Vec<Model>,
    /// Owns every string; a `CString`'s bytes stay put when the vector grows.
    _strings: Vec<CString>,
    /// Owns every label array; a boxed slice's elements stay put when the vector grows.
    _labels: Vec<Box<[*const c_char]>>,
}

// SAFETY: the raw pointers point into `_strings` and `_labels`, which are owned by the
// catalog, never mutated after construction and never freed (the catalog is a static).
unsafe impl Send for Catalog {}
// SAFETY: as above; the catalog is immutable once built.
unsafe impl Sync for Catalog {}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Builder::default().build(MODULES))
}

/// Collects the strings and label arrays while the catalog is built.
#[derive(Default)]
struct Builder {
    strings: Vec<CString>,
    labels: Vec<Box<[*const c_char]>>,
}

impl Builder {
    fn build(mut self, descriptors: &[&ModuleDescriptor]) -> Catalog {
        let models = descriptors.iter().map(|d| self.model(d)).collect();
        Catalog {
            models,
            _strings: self.strings,
            _labels: self.labels,
        }
    }

    /// A NUL-terminated copy of `s` (interior NULs dropped) that lives as long as the catalog.
    fn text(&mut self, s: &str) -> *const c_char {
        let owned = CString::new(s.replace('\0', "")).unwrap_or_default();
        let p = owned.as_ptr();
        self.strings.push(owned);
        p
    }

    fn model(&mut self, d: &ModuleDescriptor) -> Model {
        let info = KrModelInfo {
            slug: self.text(d.slug),
            name: self.text(d.name),
            description: self.text(d.description),
            tags: self.text(&d.tags.join(",")),
            role: match d.role {
                ModuleRole::Hub => 0,
                ModuleRole::Member => 1,
            },
            hp: u32::from(d.hp),
            num_params: count(d.params.len()),
            num_inputs: count(d.inputs.len()),
            num_outputs: count(d.outputs.len()),
            num_lights: count(d.lights.len()),
            num_settings: count(d.settings.len()),
        };
        Model {
            info,
            params: d.params.iter().map(|p| self.param(p)).collect(),
            inputs: d.inputs.iter().map(|p| self.port(p)).collect(),
            outputs: d.outputs.iter().map(|p| self.port(p)).collect(),
            lights: d.lights.iter().map(|l| self.light(l)).collect(),
            settings: d.settings.iter().map(|s| self.setting(s)).collect(),
        }
    }

    /// An array of NUL-terminated copies that lives as long as the catalog; NULL when empty.
    fn texts<'a>(&mut self, items: impl Iterator<Item = &'a str>) -> *const *const c_char {
        let array: Box<[*const c_char]> = items.map(|s| self.text(s)).collect();
        if array.is_empty() {
            return ptr::null();
        }
        let first = array.as_ptr();
        self.labels.push(array);
        first
    }

    fn setting(&mut self, s: &SettingDescriptor) -> KrSettingInfo {
        KrSettingInfo {
            key: self.text(s.key),
            group: self.text(s.group),
            name: self.text(s.name),
            description: self.text(s.description),
            num_choices: count(s.choices.len()),
            default_choice: count(s.default),
            choice_labels: self.texts(s.choices.iter().map(|c| c.label)),
            choice_values: self.texts(s.choices.iter().map(|c| c.json)),
        }
    }

    fn param(&mut self, p: &ParamDescriptor) -> KrParamInfo {
        let labels = self.texts(p.labels.iter().copied());
        KrParamInfo {
            id: self.text(p.id),
            name: self.text(p.name),
            description: self.text(p.description),
            unit: self.text(p.unit),
            min: p.min,
            max: p.max,
            default_value: p.default,
            display_base: p.display_base,
            display_multiplier: p.display_multiplier,
            display_offset: p.display_offset,
            snap: u8::from(p.snap),
            kind: match p.kind {
                ParamKind::Knob => 0,
                ParamKind::Switch => 1,
                ParamKind::Button => 2,
            },
            num_labels: count(p.labels.len()),
            labels,
            x_mm: p.pos.x_mm,
            y_mm: p.pos.y_mm,
        }
    }

    fn port(&mut self, p: &PortDescriptor) -> KrPortInfo {
        KrPortInfo {
            id: self.text(p.id),
            name: self.text(p.name),
            description: self.text(p.description),
            scale: self.text(p.scale),
            signal_kind: match p.kind {
                SignalKind::Gate => 0,
                SignalKind::Trigger => 1,
                SignalKind::UnipolarCv => 2,
                SignalKind::BipolarCv => 3,
                SignalKind::Audio => 4,
                SignalKind::Reference => 5,
            },
            max_channels: u32::from(p.max_channels),
            x_mm: p.pos.x_mm,
            y_mm: p.pos.y_mm,
        }
    }

    fn light(&mut self, l: &LightDescriptor) -> KrLightInfo {
        KrLightInfo {
            id: self.text(l.id),
            name: self.text(l.name),
            description: self.text(l.description),
            color: match l.color {
                LightColor::Green => 0,
                LightColor::Yellow => 1,
                LightColor::Red => 2,
                LightColor::Blue => 3,
            },
            x_mm: l.pos.x_mm,
            y_mm: l.pos.y_mm,
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The descriptor of model index `model`, if there is one.
pub(crate) fn descriptor(model: u32) -> Option<&'static ModuleDescriptor> {
    MODULES.get(usize::try_from(model).ok()?).copied()
}

/// Copies `table[index]` of model `model` to `out`.
///
/// # Safety
/// `out` is NULL or valid for writing one `T`.
unsafe fn copy_out<T: Copy + 'static>(
    out: *mut T,
    model: u32,
    index: u32,
    table: impl FnOnce(&'static Model) -> &'static [T],
) -> KrStatus {
    if out.is_null() {
        return KrStatus::KR_ERR_NULL;
    }
    let Some(m) = catalog().models.get(model as usize) else {
        return KrStatus::KR_ERR_RANGE;
    };
    let rows = table(m);
    let Some(row) = rows.get(index as usize) else {
        return KrStatus::KR_ERR_RANGE;
    };
    // SAFETY: `out` is non-null and, by the caller's contract, valid for writes.
    unsafe { out.write(*row) };
    KrStatus::KR_OK
}

/// Number of module models; valid model indices are `0..kr_model_count()`.
#[no_mangle]
pub extern "C" fn kr_model_count() -> u32 {
    count(MODULES.len())
}

/// Index of the model with this slug, or -1 when there is none (or `slug` is NULL).
///
/// # Safety
/// `slug` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kr_model_find(slug: *const c_char) -> i32 {
    guard::or(-1, || {
        if slug.is_null() {
            return -1;
        }
        // SAFETY: non-null and NUL-terminated by the caller's contract.
        let bytes = unsafe { CStr::from_ptr(slug) }.to_bytes();
        MODULES
            .iter()
            .position(|m| m.slug.as_bytes() == bytes)
            .and_then(|i| i32::try_from(i).ok())
            .unwrap_or(-1)
    })
}

/// Describes model `model`. Returns `KR_ERR_NULL` for a NULL `out` (checked first), then
/// `KR_ERR_RANGE` for an unknown model. The strings live for the whole process.
///
/// # Safety
/// `out` is NULL or valid for writing one `KrModelInfo`.
#[no_mangle]
pub unsafe extern "C" fn kr_model_info(model: u32, out: *mut KrModelInfo) -> i32 {
    guard::status(|| {
        if out.is_null() {
            return KrStatus::KR_ERR_NULL;
        }
        let Some(m) = catalog().models.get(model as usize) else {
            return KrStatus::KR_ERR_RANGE;
        };
        // SAFETY: non-null and valid for writes by the caller's contract.
        unsafe { out.write(m.info) };
        KrStatus::KR_OK
    })
}

/// Describes param `index` of model `model`: `KR_ERR_NULL` for a NULL `out`, `KR_ERR_RANGE`
/// for an unknown model or index.
///
/// # Safety
/// `out` is NULL or valid for writing one `KrParamInfo`.
#[no_mangle]
pub unsafe extern "C" fn kr_model_param(model: u32, index: u32, out: *mut KrParamInfo) -> i32 {
    // SAFETY: forwarded caller contract.
    guard::status(|| unsafe { copy_out(out, model, index, |m| &m.params) })
}

/// Describes input `index` of model `model`: `KR_ERR_NULL` for a NULL `out`, `KR_ERR_RANGE`
/// for an unknown model or index.
///
/// # Safety
/// `out` is NULL or valid for writing one `KrPortInfo`.
#[no_mangle]
pub unsafe extern "C" fn kr_model_input(model: u32, index: u32, out: *mut KrPortInfo) -> i32 {
    // SAFETY: forwarded caller contract.
    guard::status(|| unsafe { copy_out(out, model, index, |m| &m.inputs) })
}

/// Describes output `index` of model `model`: `KR_ERR_NULL` for a NULL `out`, `KR_ERR_RANGE`
/// for an unknown model or index.
///
/// # Safety
/// `out` is NULL or valid for writing one `KrPortInfo`.
#[no_mangle]
pub unsafe extern "C" fn kr_model_output(model: u32, index: u32, out: *mut KrPortInfo) -> i32 {
    // SAFETY: forwarded caller contract.
    guard::status(|| unsafe { copy_out(out, model, index, |m| &m.outputs) })
}

/// Describes context-menu setting `index` of model `model`: `KR_ERR_NULL` for a NULL `out`,
/// `KR_ERR_RANGE` for an unknown model or index.
///
/// # Safety
/// `out` is NULL or valid for writing one `KrSettingInfo`.
#[no_mangle]
pub unsafe extern "C" fn kr_model_setting(model: u32, index: u32, out: *mut KrSettingInfo) -> i32 {
    // SAFETY: forwarded caller contract.
    guard::status(|| unsafe { copy_out(out, model, index, |m| &m.settings) })
}

/// Checks `text` for one-line text setting `index` of model `model` (a setting without
/// choices) by Kubernetes' rules: NULL when it may be applied, else the reason it is refused,
/// as a NUL-terminated string to be released with `kr_string_free` (also for an unknown
/// model or index, a setting with choices, or NULL or non-UTF-8 text). Not for the audio
/// thread.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kr_model_check_setting(
    model: u32,
    index: u32,
    text: *const c_char,
) -> *mut c_char {
    let refused = |reason: String| {
        CString::new(reason.replace('\0', " ")).map_or(ptr::null_mut(), CString::into_raw)
    };
    guard::or(ptr::null_mut(), || {
        let setting = MODULES
            .get(model as usize)
            .and_then(|d| d.settings.get(index as usize));
        let Some(form) = setting.and_then(|s| s.text) else {
            return refused("no such text setting".into());
        };
        if text.is_null() {
            return refused("no text".into());
        }
        // SAFETY: non-null and NUL-terminated, by the caller's contract.
        let Ok(text) = (unsafe { CStr::from_ptr(text) }).to_str() else {
            return refused("the text is not UTF-8".into());
        };
        match kuberack_core::world::terms::parse::check(form, text) {
            Ok(()) => ptr::null_mut(),
            Err(reason) => refused(reason),
        }
    })
}

/// Describes light `index` of model `model`: `KR_ERR_NULL` for a NULL `out`, `KR_ERR_RANGE`
/// for an unknown model or index.
///
/// # Safety
/// `out` is NULL or valid for writing one `KrLightInfo`.
#[no_mangle]
pub unsafe extern "C" fn kr_model_light(model: u32, index: u32, out: *mut KrLightInfo) -> i32 {
    // SAFETY: forwarded caller contract.
    guard::status(|| unsafe { copy_out(out, model, index, |m| &m.lights) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::MaybeUninit;

    fn text(p: *const c_char) -> &'static str {
        assert!(!p.is_null());
        // SAFETY: catalog strings are NUL-terminated and live for the process.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    #[test]
    fn every_model_matches_its_descriptor() {
        assert_eq!(kr_model_count() as usize, MODULES.len());
        for (i, d) in MODULES.iter().enumerate() {
            let i = i as u32;
            let mut info = MaybeUninit::<KrModelInfo>::uninit();
            // SAFETY: `info` is valid for writes.
            assert_eq!(unsafe { kr_model_info(i, info.as_mut_ptr()) }, 0);
            // SAFETY: written by the successful call.
            let info = unsafe { info.assume_init() };
            assert_eq!(text(info.slug), d.slug);
            assert_eq!(text(info.name), d.name);
            assert_eq!(text(info.tags), d.tags.join(","));
            assert_eq!(info.num_params as usize, d.params.len());
            assert_eq!(info.num_lights as usize, d.lights.len());
            let slug = CString::new(d.slug).unwrap();
            // SAFETY: a valid C string.
            assert_eq!(unsafe { kr_model_find(slug.as_ptr()) }, i as i32);

            for (j, p) in d.params.iter().enumerate() {
                let mut out = MaybeUninit::<KrParamInfo>::uninit();
                // SAFETY: valid for writes.
                assert_eq!(unsafe { kr_model_param(i, j as u32, out.as_mut_ptr()) }, 0);
                // SAFETY: written by the successful call.
                let out = unsafe { out.assume_init() };
                assert_eq!(text(out.id), p.id);
                assert_eq!(out.default_value, p.default);
                assert_eq!(out.num_labels as usize, p.labels.len());
                for (k, label) in p.labels.iter().enumerate() {
                    // SAFETY: `labels` holds `num_labels` pointers.
                    assert_eq!(text(unsafe { *out.labels.add(k) }), *label);
                }
            }
            for (j, p) in d.outputs.iter().enumerate() {
                let mut out = MaybeUninit::<KrPortInfo>::uninit();
                // SAFETY: valid for writes.
                assert_eq!(unsafe { kr_model_output(i, j as u32, out.as_mut_ptr()) }, 0);
                // SAFETY: written by the successful call.
                let out = unsafe { out.assume_init() };
                assert_eq!(text(out.id), p.id);
                assert_eq!(text(out.scale), p.scale);
                assert_eq!(out.max_channels, u32::from(p.max_channels));
            }
            assert_eq!(info.num_settings as usize, d.settings.len());
            for (j, s) in d.settings.iter().enumerate() {
                let mut out = MaybeUninit::<KrSettingInfo>::uninit();
                // SAFETY: valid for writes.
                assert_eq!(
                    unsafe { kr_model_setting(i, j as u32, out.as_mut_ptr()) },
                    0
                );
                // SAFETY: written by the successful call.
                let out = unsafe { out.assume_init() };
                assert_eq!(text(out.key), s.key);
                assert_eq!(text(out.group), s.group);
                assert_eq!(out.default_choice as usize, s.default);
                assert_eq!(out.num_choices as usize, s.choices.len());
                for (k, c) in s.choices.iter().enumerate() {
                    // SAFETY: both arrays hold `num_choices` pointers.
                    let (label, value) =
                        unsafe { (*out.choice_labels.add(k), *out.choice_values.add(k)) };
                    assert_eq!((text(label), text(value)), (c.label, c.json));
                }
            }
        }
    }

    /// The reason `kr_model_check_setting` gives (None: accepted), freed.
    fn check(model: u32, index: u32, text: Option<&str>) -> Option<String> {
        let c = text.map(|t| CString::new(t).unwrap());
        let p = c.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        // SAFETY: `p` is NULL or a C string; the result is released with kr_string_free.
        unsafe {
            let r = kr_model_check_setting(model, index, p);
            (!r.is_null()).then(|| {
                let s = CStr::from_ptr(r).to_string_lossy().into_owned();
                crate::json::kr_string_free(r);
                s
            })
        }
    }

    #[test]
    fn text_settings_are_checked_by_kubernetes_rules() {
        let node = MODULES.iter().position(|d| d.slug == "Node").unwrap() as u32;
        let dep = MODULES.iter().position(|d| d.slug == "Deployment").unwrap() as u32;
        let index = |m: u32, key: &str| {
            MODULES[m as usize]
                .settings
                .iter()
                .position(|s| s.key == key)
                .unwrap() as u32
        };
        let taints = index(node, "taints");
        assert_eq!(check(node, taints, Some("dedicated=gpu:NoSchedule")), None);
        let why = check(node, taints, Some("dedicated=gpu:NoSchedul")).unwrap();
        assert!(why.contains("invalid taint effect"), "{why}");
        let tolerations = index(dep, "scheduling.tolerations");
        assert_eq!(check(dep, tolerations, Some("*:NoExecute for 30s")), None);
        assert!(check(dep, tolerations, None).is_some());
        // A setting with choices, an unknown index or model: refused, never accepted.
        let choice = index(dep, "scheduling.priorityClassName");
        assert!(check(dep, choice, Some("high")).is_some());
        assert!(check(dep, 999, Some("")).is_some());
        assert!(check(u32::MAX, 0, Some("")).is_some());
    }

    #[test]
    fn the_same_pointers_come_back_every_time() {
        let mut a = MaybeUninit::<KrModelInfo>::uninit();
        let mut b = MaybeUninit::<KrModelInfo>::uninit();
        // SAFETY: both valid for writes; written by the successful calls.
        let (a, b) = unsafe {
            assert_eq!(kr_model_info(0, a.as_mut_ptr()), 0);
            assert_eq!(kr_model_info(0, b.as_mut_ptr()), 0);
            (a.assume_init(), b.assume_init())
        };
        assert_eq!(a.slug, b.slug);
    }

    #[test]
    fn null_and_out_of_range_are_reported() {
        let n = kr_model_count();
        let mut info = MaybeUninit::<KrModelInfo>::uninit();
        let mut port = MaybeUninit::<KrPortInfo>::uninit();
        let mut param = MaybeUninit::<KrParamInfo>::uninit();
        let mut light = MaybeUninit::<KrLightInfo>::uninit();
        // SAFETY: every pointer is NULL or valid for writes; strings are C strings.
        unsafe {
            assert_eq!(
                kr_model_info(0, ptr::null_mut()),
                KrStatus::KR_ERR_NULL.code()
            );
            assert_eq!(
                kr_model_info(n, ptr::null_mut()),
                KrStatus::KR_ERR_NULL.code()
            );
            assert_eq!(
                kr_model_info(n, info.as_mut_ptr()),
                KrStatus::KR_ERR_RANGE.code()
            );
            assert_eq!(kr_model_info(u32::MAX, info.as_mut_ptr()), -2);
            assert_eq!(kr_model_param(0, 0, ptr::null_mut()), -1);
            assert_eq!(kr_model_param(0, 9999, param.as_mut_ptr()), -2);
            assert_eq!(kr_model_param(n, 0, param.as_mut_ptr()), -2);
            assert_eq!(kr_model_input(0, 9999, port.as_mut_ptr()), -2);
            assert_eq!(kr_model_output(n, 0, port.as_mut_ptr()), -2);
            assert_eq!(kr_model_output(0, 0, ptr::null_mut()), -1);
            assert_eq!(kr_model_light(0, u32::MAX, light.as_mut_ptr()), -2);
            assert_eq!(kr_model_light(0, 0, ptr::null_mut()), -1);
            let mut setting = MaybeUninit::<KrSettingInfo>::uninit();
            assert_eq!(kr_model_setting(0, 9999, setting.as_mut_ptr()), -2);
            assert_eq!(kr_model_setting(n, 0, setting.as_mut_ptr()), -2);
            assert_eq!(kr_model_setting(0, 0, ptr::null_mut()), -1);
            assert_eq!(kr_model_find(ptr::null()), -1);
            assert_eq!(kr_model_find(c"NoSuchModule".as_ptr()), -1);
            assert_eq!(kr_model_find(c"".as_ptr()), -1);
            assert_eq!(kr_model_find(c"\xff\xfe".as_ptr()), -1);
        }
    }

    #[test]
    fn strings_with_nul_bytes_are_still_terminated() {
        let mut b = Builder::default();
        let p = b.text("a\0b");
        assert_eq!(text(p), "ab");
    }
}
