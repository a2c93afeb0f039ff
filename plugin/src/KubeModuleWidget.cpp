// KubeRack: the generic ModuleWidget, laid out from the descriptor positions, and the fault
// overlay every module carries.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "plugin.hpp"

#include <cstdlib>

#include <osdialog.h>
#include <patch.hpp>

namespace kuberack {

using rack::math::Vec;
using rack::window::mm2px;

namespace {

// The CLUSTER's area for its display, in panel millimetres: between the title rail and the
// labels of the first light row (protocol/src/panel/overlays.rs: HUB_DISPLAY, which the
// panels keep clear).
const float DISPLAY_X_MM = 4.0f;
const float DISPLAY_Y_MM = 8.0f;
const float DISPLAY_W_MM = 52.96f;
const float DISPLAY_H_MM = 40.0f;

// The status line's band: its height and the room it leaves at each side.
const float STATUS_HEIGHT_MM = 2.6f;
const float STATUS_MARGIN_MM = 2.0f;

// The hub's saved settings, as the core names them.
const char* const SEED_KEY = "seed";
const char* const CONTROL_PERIOD_KEY = "controlPeriod";
const json_int_t DEFAULT_SEED = 1;
const json_int_t DEFAULT_CONTROL_PERIOD = 32;
const json_int_t SEED_PRESETS[] = {1, 2, 3, 42, 1234};
const json_int_t CONTROL_PERIODS[] = {8, 16, 32, 64, 128};
// Random seeds stay below 2^53, exact in every JSON reader.
const uint64_t SEED_MASK = (uint64_t(1) << 53) - 1;

// The hub's live-sync settings, as the core names them.
const char* const SYNC_NAMESPACE_KEY = "namespace";
const char* const SYNC_CONTEXT_KEY = "context";
const char* const SYNC_DELETE_KEY = "deleteOnStop";
const char* const SYNC_MIRROR_KEY = "mirrorOnly";
const char* const SYNC_SELECTOR_KEY = "selector";

/** A menu text field for one string setting of live sync; Enter applies it and closes the
menu. */
struct SyncTextField : rack::ui::TextField {
	KubeModuleWidget* widget = NULL;
	const char* key = "";

	void onSelectKey(const SelectKeyEvent& e) override {
		if (e.action == GLFW_PRESS && (e.key == GLFW_KEY_ENTER || e.key == GLFW_KEY_KP_ENTER)) {
			if (widget)
				widget->changeSyncSetting(key, json_string(text.c_str()), std::string("set live sync ") + key);
			rack::ui::MenuOverlay* overlay = getAncestorOfType<rack::ui::MenuOverlay>();
			if (overlay)
				overlay->requestDelete();
			e.consume(this);
			return;
		}
		rack::ui::TextField::onSelectKey(e);
	}
};

/** A menu text field for a one-line text setting (labels, taints, tolerations, node
affinity). Enter checks the text by Kubernetes' rules: refused text leaves the setting as it
was and shows the reason under the field; accepted text is applied and closes the menu. */
struct SettingTextField : rack::ui::TextField {
	KubeModuleWidget* widget = NULL;
	uint32_t model = 0;
	uint32_t index = 0;
	std::string key;
	std::string name;
	rack::ui::MenuLabel* reason = NULL;

	void onSelectKey(const SelectKeyEvent& e) override {
		if (e.action == GLFW_PRESS && (e.key == GLFW_KEY_ENTER || e.key == GLFW_KEY_KP_ENTER)) {
			char* refused = kr_model_check_setting(model, index, text.c_str());
			if (refused) {
				WARN("KubeRack: %s refused: %s", key.c_str(), refused);
				if (reason)
					reason->text = "Refused: " + rack::string::ellipsize(refused, 110);
				kr_string_free(refused);
			}
			else {
				if (widget)
					widget->changeSetting(key.c_str(), json_string(text.c_str()), "set " + name);
				rack::ui::MenuOverlay* overlay = getAncestorOfType<rack::ui::MenuOverlay>();
				if (overlay)
					overlay->requestDelete();
			}
			e.consume(this);
			return;
		}
		rack::ui::TextField::onSelectKey(e);
	}
};

std::string syncString(json_t* settingsJ, const char* key) {
	json_t* valueJ = settingsJ ? json_object_get(settingsJ, key) : NULL;
	return json_is_string(valueJ) ? json_string_value(valueJ) : "";
}

bool syncFlag(json_t* settingsJ, const char* key) {
	return settingsJ && json_is_true(json_object_get(settingsJ, key));
}

json_int_t settingValue(json_t* settingsJ, const char* key) {
	json_t* valueJ = settingsJ ? json_object_get(settingsJ, key) : NULL;
	return json_is_integer(valueJ) ? json_integer_value(valueJ) : -1;
}

// The value at a dotted key ("scheduling.priorityClassName") of a JSON object, or NULL.
json_t* valueAt(json_t* rootJ, const std::string& dottedKey) {
	json_t* j = rootJ;
	size_t start = 0;
	while (j) {
		const size_t dot = dottedKey.find('.', start);
		const std::string part = dottedKey.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
		j = json_is_object(j) ? json_object_get(j, part.c_str()) : NULL;
		if (dot == std::string::npos)
			break;
		start = dot + 1;
	}
	return j;
}

// Sets the value at a dotted key, creating the objects on the way; takes `valueJ`'s reference.
void setValueAt(json_t* rootJ, const std::string& dottedKey, json_t* valueJ) {
	json_t* j = rootJ;
	size_t start = 0;
	for (;;) {
		const size_t dot = dottedKey.find('.', start);
		if (dot == std::string::npos) {
			json_object_set_new(j, dottedKey.substr(start).c_str(), valueJ);
			return;
		}
		const std::string part = dottedKey.substr(start, dot - start);
		json_t* childJ = json_object_get(j, part.c_str());
		if (!json_is_object(childJ)) {
			childJ = json_object();
			json_object_set_new(j, part.c_str(), childJ);
		}
		j = childJ;
		start = dot + 1;
	}
}

// Index of the choice whose JSON equals `currentJ`; the default when the key is missing,
// -1 when the saved value is none of the choices.
int currentChoice(const KrSettingInfo& s, json_t* currentJ) {
	if (!currentJ)
		return (int) s.default_choice;
	for (uint32_t i = 0; i < s.num_choices; i++) {
		json_t* choiceJ = json_loads(s.choice_values[i], JSON_DECODE_ANY, NULL);
		const bool same = choiceJ && json_equal(choiceJ, currentJ);
		if (choiceJ)
			json_decref(choiceJ);
		if (same)
			return (int) i;
	}
	return -1;
}

} // namespace

/** Asks for a directory and writes the patch's manifests there (kuberack.yaml), as
`kuberack export` does; says why in a message box when it cannot. UI thread only. */
void exportManifests(const std::string& ns);

/** Starts `kuberack import` of the cluster of `context` on a background thread, writing
cluster-import.vcv next to the patch (or in Rack's user folder); ClusterDisplay says where
when it ends. UI thread only. */
void importFromCluster(const std::string& context, const std::string& selector);

KubeModuleWidget::KubeModuleWidget(KubeModel* model, KubeModule* module)
	: kubeModel(model), kubeModule(module) {
	setModule(module);

	const std::string slug = model->slug;
	setPanel(rack::createPanel(
		rack::asset::plugin(pluginInstance, "res/" + slug + ".svg"),
		rack::asset::plugin(pluginInstance, "res/" + slug + "-dark.svg")));
	// A missing panel file leaves the width at zero: fall back to the descriptor's width.
	const float widthPx = model->info.hp * rack::app::RACK_GRID_WIDTH;
	if (getPanel() && getPanel()->box.size.x <= 0.f && widthPx > 0.f)
		box.size.x = widthPx;

	// Screws sit in the top and bottom rails, one HP in from each edge; the panels leave
	// those spots free from 6 HP up (narrower panels use the whole rail for their title).
	if (model->info.hp >= 6) {
		const float w = rack::app::RACK_GRID_WIDTH;
		const float bottom = rack::app::RACK_GRID_HEIGHT - w;
		addChild(rack::createWidget<rack::componentlibrary::ThemedScrew>(Vec(w, 0)));
		addChild(rack::createWidget<rack::componentlibrary::ThemedScrew>(Vec(box.size.x - 2 * w, 0)));
		addChild(rack::createWidget<rack::componentlibrary::ThemedScrew>(Vec(w, bottom)));
		addChild(rack::createWidget<rack::componentlibrary::ThemedScrew>(Vec(box.size.x - 2 * w, bottom)));
	}

	if (model->isCluster) {
		ClusterDisplay* display = rack::createWidget<ClusterDisplay>(mm2px(Vec(DISPLAY_X_MM, DISPLAY_Y_MM)));
		display->box.size = mm2px(Vec(DISPLAY_W_MM, DISPLAY_H_MM));
		display->module = module;
		addChild(display);
	}

	for (size_t i = 0; i < model->params.size(); i++)
		addParamWidget((int) i, model->params[i]);
	for (size_t i = 0; i < model->inputs.size(); i++) {
		const KrPortInfo& p = model->inputs[i];
		addInput(rack::createInputCentered<rack::componentlibrary::ThemedPJ301MPort>(
			mm2px(Vec(p.x_mm, p.y_mm)), module, (int) i));
	}
	for (size_t i = 0; i < model->outputs.size(); i++) {
		const KrPortInfo& p = model->outputs[i];
		addOutput(rack::createOutputCentered<rack::componentlibrary::ThemedPJ301MPort>(
			mm2px(Vec(p.x_mm, p.y_mm)), module, (int) i));
	}
	for (size_t i = 0; i < model->lights.size(); i++)
		addLightWidget((int) i, model->lights[i]);

	float statusX = 0.f, statusY = 0.f;
	if (kr_model_status_pos(model->index, &statusX, &statusY) == KR_OK) {
		// A band across the panel, centred on the status position, as the panels leave it
		// free (protocol/src/panel/overlays.rs: STATUS_MARGIN, STATUS_HEIGHT).
		StatusText* status = rack::createWidget<StatusText>(
			mm2px(Vec(STATUS_MARGIN_MM, statusY - STATUS_HEIGHT_MM / 2.f)));
		status->box.size = Vec(box.size.x - mm2px(2.f * STATUS_MARGIN_MM), mm2px(STATUS_HEIGHT_MM));
		status->module = module;
		addChild(status);
	}

	// On top of everything, drawn only when the core reports a fault.
	FaultOverlay* overlay = rack::createWidget<FaultOverlay>(Vec(0, 0));
	overlay->box.size = box.size;
	overlay->module = module;
	addChild(overlay);
}

void KubeModuleWidget::addParamWidget(int index, const KrParamInfo& p) {
	using namespace rack::componentlibrary;
	const Vec pos = mm2px(Vec(p.x_mm, p.y_mm));
	KubeModule* m = kubeModule;
	const int positions = (int) (p.max - p.min) + 1;

	if (p.kind == PARAM_BUTTON) {
		addParam(rack::createParamCentered<VCVButton>(pos, m, index));
	}
	else if (p.kind == PARAM_SWITCH && positions == 2) {
		addParam(rack::createParamCentered<CKSS>(pos, m, index));
	}
	else if (p.kind == PARAM_SWITCH && positions == 3) {
		addParam(rack::createParamCentered<CKSSThree>(pos, m, index));
	}
	else {
		// Knobs, and switches with more positions than a toggle has: a snapping knob.
		RoundBlackKnob* knob = rack::createParamCentered<RoundBlackKnob>(pos, m, index);
		knob->snap = p.snap != 0 || p.kind == PARAM_SWITCH;
		addParam(knob);
	}
}

void KubeModuleWidget::addLightWidget(int index, const KrLightInfo& l) {
	using namespace rack::componentlibrary;
	const Vec pos = mm2px(Vec(l.x_mm, l.y_mm));
	KubeModule* m = kubeModule;
	switch (l.color) {
		case LIGHT_YELLOW:
			addChild(rack::createLightCentered<SmallLight<YellowLight>>(pos, m, index));
			break;
		case LIGHT_RED:
			addChild(rack::createLightCentered<SmallLight<RedLight>>(pos, m, index));
			break;
		case LIGHT_BLUE:
			addChild(rack::createLightCentered<SmallLight<BlueLight>>(pos, m, index));
			break;
		case LIGHT_GREEN:
		default:
			addChild(rack::createLightCentered<SmallLight<GreenLight>>(pos, m, index));
			break;
	}
}

void KubeModuleWidget::appendContextMenu(rack::ui::Menu* menu) {
	if (!kubeModule)
		return;
	if (kubeModule->isFaulted()) {
		menu->addChild(new rack::ui::MenuSeparator);
		menu->addChild(rack::createMenuLabel("Faulted: " + rack::string::ellipsize(kubeModule->lastError(), 80)));
	}
	if (kubeModel->isCluster)
		appendClusterMenu(menu);
	appendSettingsMenu(menu);
}

void KubeModuleWidget::appendSettingsMenu(rack::ui::Menu* menu) {
	if (kubeModel->settings.empty())
		return;
	// Read the settings once, when the menu opens (see appendClusterMenu).
	json_t* settingsJ = kubeModule->settingsObject();
	std::string group;
	for (const KrSettingInfo& s : kubeModel->settings) {
		if (group != s.group) {
			group = s.group;
			menu->addChild(new rack::ui::MenuSeparator);
			menu->addChild(rack::createMenuLabel(group));
		}
		const KrSettingInfo setting = s;
		if (s.num_choices == 0) {
			json_t* valueJ = settingsJ ? valueAt(settingsJ, s.key) : NULL;
			const std::string value = json_is_string(valueJ) ? json_string_value(valueJ) : "";
			const uint32_t model = kubeModel->index;
			const uint32_t index = (uint32_t) (&s - kubeModel->settings.data());
			menu->addChild(rack::createSubmenuItem(s.name, rack::string::ellipsize(value, 24),
				[=](rack::ui::Menu* sub) {
					if (setting.description)
						sub->addChild(rack::createMenuLabel(setting.description));
					SettingTextField* field = new SettingTextField;
					field->box.size.x = 360;
					field->widget = this;
					field->model = model;
					field->index = index;
					field->key = setting.key;
					field->name = setting.name;
					field->text = value;
					field->placeholder = "(none)";
					sub->addChild(field);
					// Text a loaded patch kept as written but could not put in force says why.
					char* refused = value.empty() ? NULL : kr_model_check_setting(model, index, value.c_str());
					field->reason = rack::createMenuLabel(refused
						? "Not in force: " + rack::string::ellipsize(refused, 110)
						: "Enter applies; refused text changes nothing");
					if (refused)
						kr_string_free(refused);
					sub->addChild(field->reason);
				}));
			continue;
		}
		const int current = settingsJ ? currentChoice(s, valueAt(settingsJ, s.key)) : -1;
		const std::string rightText = current >= 0 ? s.choice_labels[current] : "?";
		menu->addChild(rack::createSubmenuItem(s.name, rightText, [=](rack::ui::Menu* sub) {
			for (uint32_t i = 0; i < setting.num_choices; i++) {
				sub->addChild(rack::createCheckMenuItem(setting.choice_labels[i], "",
					[=]() { return current == (int) i; },
					[=]() {
						json_t* valueJ = json_loads(setting.choice_values[i], JSON_DECODE_ANY, NULL);
						if (!valueJ) {
							WARN("KubeRack: setting %s has an unreadable choice %s", setting.key, setting.choice_values[i]);
							return;
						}
						changeSetting(setting.key, valueJ, std::string("set ") + setting.name);
					}));
			}
		}));
	}
	if (settingsJ)
		json_decref(settingsJ);
}

void KubeModuleWidget::appendClusterMenu(rack::ui::Menu* menu) {
	// Read the settings once, when the menu opens: saving while the engine runs makes the
	// core skip a sample, so the menu must not poll it every frame.
	json_t* settingsJ = kubeModule->settingsObject();
	const json_int_t seed = settingValue(settingsJ, SEED_KEY);
	const json_int_t period = settingValue(settingsJ, CONTROL_PERIOD_KEY);
	if (settingsJ)
		json_decref(settingsJ);

	menu->addChild(new rack::ui::MenuSeparator);
	menu->addChild(rack::createMenuLabel("Cluster"));

	const std::string seedText = seed >= 0 ? std::to_string((long long) seed) : "?";
	menu->addChild(rack::createSubmenuItem("Seed", seedText, [=](rack::ui::Menu* sub) {
		for (json_int_t preset : SEED_PRESETS) {
			std::string label = std::to_string((long long) preset);
			if (preset == DEFAULT_SEED)
				label += " (default)";
			sub->addChild(rack::createCheckMenuItem(label, "",
				[=]() { return seed == preset; },
				[=]() { changeClusterSetting(SEED_KEY, preset, "set cluster seed"); }));
		}
		sub->addChild(new rack::ui::MenuSeparator);
		sub->addChild(rack::createMenuItem("Randomize seed", "", [=]() {
			const json_int_t value = (json_int_t) (rack::random::u64() & SEED_MASK);
			changeClusterSetting(SEED_KEY, value, "randomize cluster seed");
		}));
	}));

	const std::string periodText = period > 0 ? std::to_string((long long) period) + " samples" : "?";
	menu->addChild(rack::createSubmenuItem("Control rate", periodText, [=](rack::ui::Menu* sub) {
		for (json_int_t samples : CONTROL_PERIODS) {
			std::string label = std::to_string((long long) samples) + " samples";
			if (samples == DEFAULT_CONTROL_PERIOD)
				label += " (default)";
			sub->addChild(rack::createCheckMenuItem(label, "",
				[=]() { return period == samples; },
				[=]() { changeClusterSetting(CONTROL_PERIOD_KEY, samples, "set cluster control rate"); }));
		}
	}));
	appendSyncMenu(menu);
}

bool configureSync(KrModule* handle, const char* key, json_t* valueJ) {
	if (!handle || !valueJ) {
		if (valueJ)
			json_decref(valueJ);
		return false;
	}
	json_t* changeJ = json_object();
	json_object_set_new(changeJ, key, valueJ);
	char* text = json_dumps(changeJ, JSON_COMPACT);
	json_decref(changeJ);
	const int32_t status = text ? kr_sync_configure(handle, text) : KR_ERR_JSON;
	std::free(text);
	if (status != KR_OK)
		WARN("KubeRack Cluster: sync setting %s refused (status %d)", key, (int) status);
	return status == KR_OK;
}

void KubeModuleWidget::changeSyncSetting(const char* key, json_t* valueJ, const std::string& actionName) {
	if (!kubeModule) {
		if (valueJ)
			json_decref(valueJ);
		return;
	}
	json_t* oldModuleJ = toJson();
	if (!configureSync(kubeModule->handle, key, valueJ)) {
		json_decref(oldModuleJ);
		return;
	}
	// Undoable like the other settings: the hub's saved JSON carries them under "sync".
	rack::history::ModuleChange* h = new rack::history::ModuleChange;
	h->name = actionName;
	h->moduleId = kubeModule->id;
	h->oldModuleJ = oldModuleJ;
	h->newModuleJ = toJson();
	APP->history->push(h);
}

void KubeModuleWidget::appendSyncMenu(rack::ui::Menu* menu) {
	KrModule* handle = kubeModule->handle;
	if (!handle)
		return;
	// The settings live beside the hub (not in its audio-path state): reading them costs
	// the engine nothing.
	char* text = kr_sync_settings(handle);
	json_t* settingsJ = text ? json_loads(text, 0, NULL) : NULL;
	kr_string_free(text);
	const std::string ns = syncString(settingsJ, SYNC_NAMESPACE_KEY);
	const std::string context = syncString(settingsJ, SYNC_CONTEXT_KEY);
	const std::string selector = syncString(settingsJ, SYNC_SELECTOR_KEY);
	const bool deleteOnStop = syncFlag(settingsJ, SYNC_DELETE_KEY);
	const bool mirrorOnly = syncFlag(settingsJ, SYNC_MIRROR_KEY);
	if (settingsJ)
		json_decref(settingsJ);

	menu->addChild(rack::createSubmenuItem("Live sync", ns, [=](rack::ui::Menu* sub) {
		sub->addChild(rack::createMenuLabel("Applies the next time SYNC turns on"));
		auto addField = [=](const char* label, const char* key, const std::string& text) {
			sub->addChild(rack::createMenuLabel(label));
			SyncTextField* field = new SyncTextField;
			field->widget = this;
			field->key = key;
			field->box.size.x = 200.f;
			field->setText(text);
			sub->addChild(field);
		};
		addField("Namespace (Enter to set)", SYNC_NAMESPACE_KEY, ns);
		addField("kubeconfig context (empty: current)", SYNC_CONTEXT_KEY, context);
		addField("Pod label selector (empty: all pods)", SYNC_SELECTOR_KEY, selector);
		sub->addChild(new rack::ui::MenuSeparator);
		sub->addChild(rack::createCheckMenuItem("Mirror only (write nothing)", "",
			[=]() { return mirrorOnly; },
			[=]() { changeSyncSetting(SYNC_MIRROR_KEY, json_boolean(!mirrorOnly), "set live sync mirror only"); }));
		sub->addChild(rack::createMenuLabel("When SYNC turns off"));
		sub->addChild(rack::createCheckMenuItem("Leave what KubeRack created (default)", "",
			[=]() { return !deleteOnStop; },
			[=]() { changeSyncSetting(SYNC_DELETE_KEY, json_false(), "leave what live sync created"); }));
		sub->addChild(rack::createCheckMenuItem("Delete what KubeRack created", "",
			[=]() { return deleteOnStop; },
			[=]() { changeSyncSetting(SYNC_DELETE_KEY, json_true(), "delete what live sync created"); }));
	}));
	menu->addChild(rack::createMenuItem("Export manifests…", "", [=]() { exportManifests(ns); }));
	const bool importing = kr_import_running() != 0;
	menu->addChild(rack::createMenuItem(importing ? "Importing from cluster…" : "Import from cluster…", "",
		[=]() { importFromCluster(context, selector); }, importing));
	appendTraceMenu(menu);
}

void importFromCluster(const std::string& context, const std::string& selector) {
	const std::string patchPath = APP->patch->path;
	const std::string dir = patchPath.empty() ? rack::asset::user("KubeRack") : rack::system::getDirectory(patchPath);
	const std::string path = rack::system::join(dir, "cluster-import.vcv");
	// Every namespace; the kubeconfig of KUBECONFIG or ~/.kube/config.
	const int32_t started = kr_import_start(NULL, context.c_str(), NULL, selector.c_str(), path.c_str());
	if (started != 0) {
		WARN("KubeRack Cluster: import not started (%d)", (int) started);
		return;
	}
	INFO("KubeRack Cluster: importing the cluster of context \"%s\" into %s", context.c_str(), path.c_str());
}

void KubeModuleWidget::appendTraceMenu(rack::ui::Menu* menu) {
	KrModule* handle = kubeModule->handle;
	// Recording follows live sync: asked for now, it starts when SYNC is on.
	if (kr_sync_recording(handle) == 1) {
		menu->addChild(rack::createMenuItem("Stop recording cluster", "recording", [=]() {
			if (kubeModule && kubeModule->handle)
				kr_sync_record(kubeModule->handle, NULL);
		}));
	}
	else {
		menu->addChild(rack::createMenuItem("Record cluster to file…", "", [=]() {
			char* pathC = osdialog_file(OSDIALOG_SAVE, NULL, "cluster.trace.jsonl", NULL);
			if (!pathC)
				return;
			if (kubeModule && kubeModule->handle)
				kr_sync_record(kubeModule->handle, pathC);
			INFO("KubeRack Cluster: recording the cluster to %s while SYNC is on", pathC);
			std::free(pathC);
		}));
	}
	const int32_t replay = kr_replay_state(handle);
	if (replay == KR_REPLAY_PLAYING || replay == KR_REPLAY_FINISHED) {
		const char* state = replay == KR_REPLAY_PLAYING ? "playing" : "finished";
		menu->addChild(rack::createMenuItem("Stop replaying trace", state, [=]() {
			if (kubeModule && kubeModule->handle)
				kr_replay_stop(kubeModule->handle);
		}));
		return;
	}
	menu->addChild(rack::createMenuItem("Replay trace…", "", [=]() {
		char* pathC = osdialog_file(OSDIALOG_OPEN, NULL, NULL, NULL);
		if (!pathC)
			return;
		const int32_t status = kubeModule && kubeModule->handle ? kr_replay_start(kubeModule->handle, pathC) : KR_ERR_NULL;
		if (status != KR_OK) {
			WARN("KubeRack Cluster: cannot replay %s (status %d)", pathC, (int) status);
			const std::string message = std::string("KubeRack cannot replay ") + pathC
				+ (status == KR_ERR_INVALID ? ": turn SYNC off first." : ": it is no cluster trace (see the log).");
			osdialog_message(OSDIALOG_WARNING, OSDIALOG_OK, message.c_str());
		}
		std::free(pathC);
	}));
}

void exportManifests(const std::string& ns) {
	char* dirC = osdialog_file(OSDIALOG_OPEN_DIR, NULL, NULL, NULL);
	if (!dirC)
		return;
	const std::string dir = dirC;
	std::free(dirC);
	// The whole patch as Rack saves it, read on the UI thread; the export writes files, so
	// it never runs on the audio thread.
	json_t* patchJ = APP->patch->toJson();
	char* patchText = patchJ ? json_dumps(patchJ, JSON_COMPACT) : NULL;
	if (patchJ)
		json_decref(patchJ);
	char* error = kr_export_manifests(patchText, ns.c_str(), dir.c_str());
	std::free(patchText);
	if (error) {
		WARN("KubeRack Cluster: export failed: %s", error);
		const std::string message = std::string("KubeRack could not export the manifests: ") + error;
		kr_string_free(error);
		osdialog_message(OSDIALOG_WARNING, OSDIALOG_OK, message.c_str());
		return;
	}
	INFO("KubeRack Cluster: manifests exported to %s/kuberack.yaml", dir.c_str());
}

void KubeModuleWidget::changeClusterSetting(const char* key, json_int_t value, const std::string& actionName) {
	changeSetting(key, json_integer(value), actionName);
}

void KubeModuleWidget::changeSetting(const char* dottedKey, json_t* valueJ, const std::string& actionName) {
	if (!kubeModule) {
		json_decref(valueJ);
		return;
	}
	// Modify the core's own saved settings, so that whatever else they hold is kept.
	json_t* settingsJ = kubeModule->settingsObject();
	if (!settingsJ) {
		WARN("KubeRack %s: current settings unreadable; changing %s from the defaults", kubeModel->slug.c_str(), dottedKey);
		settingsJ = json_object();
	}
	setValueAt(settingsJ, dottedKey, valueJ);

	json_t* oldModuleJ = toJson();
	const bool applied = kubeModule->applySettings(settingsJ);
	json_decref(settingsJ);
	if (!applied) {
		json_decref(oldModuleJ);
		return;
	}
	// Undoable like any other module change: undo reloads the old settings.
	rack::history::ModuleChange* h = new rack::history::ModuleChange;
	h->name = actionName;
	h->moduleId = kubeModule->id;
	h->oldModuleJ = oldModuleJ;
	h->newModuleJ = toJson();
	APP->history->push(h);
}

void StatusText::step() {
	TransparentWidget::step();
	const char* t = (module && module->handle) ? kr_module_status(module->handle) : NULL;
	text = t ? t : "";
}

void StatusText::drawLayer(const DrawArgs& args, int layer) {
	if (layer != 1 || text.empty())
		return;
	std::shared_ptr<rack::window::Font> font = APP->window->uiFont;
	if (!font || font->handle < 0)
		return;
	NVGcontext* vg = args.vg;
	nvgFontFaceId(vg, font->handle);
	// The font size is the text's height, ascender to descender: the band's height. Text
	// wider than the band is drawn smaller, so that it never runs past the band.
	nvgFontSize(vg, box.size.y);
	float bounds[4] = {};
	const float width = nvgTextBounds(vg, 0.f, 0.f, text.c_str(), NULL, bounds);
	if (width > box.size.x)
		nvgFontSize(vg, box.size.y * box.size.x / width);
	nvgTextAlign(vg, NVG_ALIGN_CENTER | NVG_ALIGN_MIDDLE);
	nvgFillColor(vg, nvgRGB(0xed, 0x2c, 0x24));
	nvgText(vg, box.size.x / 2, box.size.y / 2, text.c_str(), NULL);
}

void FaultOverlay::step() {
	TransparentWidget::step();
	if (!module)
		return;
	const int32_t status = module->lastStatus.load(std::memory_order_relaxed);
	const bool faulted = module->isFaulted();
	// A status other than OK/FAULTED/PANIC means the plugin broke the ABI's contract; the
	// module is silent then too, so say so.
	const bool broken = !faulted && status != KR_OK;
	if ((faulted || broken) && !shown) {
		message = faulted ? module->lastError()
			: rack::string::f("kr_module_process refused the call (status %d)", (int) status);
		if (message.empty())
			message = "the module stopped after an internal error";
	}
	shown = faulted || broken;
}

void FaultOverlay::drawLayer(const DrawArgs& args, int layer) {
	if (layer == 1 && shown) {
		NVGcontext* vg = args.vg;
		const float pad = mm2px(2.f);
		const rack::math::Rect r = box.zeroPos();

		// Dim the whole panel, then a red band with the word and the message.
		nvgBeginPath(vg);
		nvgRect(vg, RECT_ARGS(r));
		nvgFillColor(vg, nvgRGBA(0x10, 0x00, 0x00, 0xa0));
		nvgFill(vg);

		const float bandY = box.size.y * 0.3f;
		const float bandH = box.size.y * 0.4f;
		nvgBeginPath(vg);
		nvgRoundedRect(vg, pad, bandY, box.size.x - 2 * pad, bandH, mm2px(1.f));
		nvgFillColor(vg, nvgRGBA(0x3a, 0x06, 0x08, 0xf0));
		nvgFill(vg);
		nvgStrokeColor(vg, nvgRGB(0xed, 0x2c, 0x24));
		nvgStrokeWidth(vg, 1.5f);
		nvgStroke(vg);

		std::shared_ptr<rack::window::Font> font = APP->window->uiFont;
		if (font && font->handle >= 0) {
			nvgFontFaceId(vg, font->handle);
			nvgTextAlign(vg, NVG_ALIGN_CENTER | NVG_ALIGN_TOP);
			nvgFillColor(vg, nvgRGB(0xff, 0x5a, 0x50));
			nvgFontSize(vg, 20.f);
			nvgText(vg, box.size.x / 2, bandY + pad, "FAULT", NULL);

			nvgFontSize(vg, 10.f);
			nvgTextLineHeight(vg, 1.2f);
			nvgFillColor(vg, nvgRGB(0xff, 0xe0, 0xdc));
			nvgSave(vg);
			nvgIntersectScissor(vg, pad, bandY, box.size.x - 2 * pad, bandH - pad);
			nvgTextBox(vg, 2 * pad, bandY + pad + 26.f, box.size.x - 4 * pad, message.c_str(), NULL);
			nvgRestore(vg);
		}
	}
	TransparentWidget::drawLayer(args, layer);
}

} // namespace kuberack
