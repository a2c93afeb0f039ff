// KubeRack: the Rack side of the plugin. Every module model is served by the same three
// classes, configured from the descriptors the Rust core publishes through the C ABI.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <rack.hpp>

#include <kuberack.h>

#include <atomic>
#include <string>
#include <vector>

// The plugin handle Rack passes to init(); declared by the plugin, read by asset::plugin().
extern rack::plugin::Plugin* pluginInstance;

namespace kuberack {

// Descriptor codes from the ABI (KrParamInfo::kind, KrLightInfo::color).
enum ParamKind { PARAM_KNOB = 0, PARAM_SWITCH = 1, PARAM_BUTTON = 2 };
enum LightColor { LIGHT_GREEN = 0, LIGHT_YELLOW = 1, LIGHT_RED = 2, LIGHT_BLUE = 3 };

struct KubeModule;

/** One module model described by the Rust core: a Rack Model whose factories build the
generic KubeModule and KubeModuleWidget for its index. The descriptor strings it holds live
for the whole process (the ABI guarantees it). */
struct KubeModel : rack::plugin::Model {
	uint32_t index = 0;
	KrModelInfo info = KrModelInfo();
	std::vector<KrParamInfo> params;
	std::vector<KrPortInfo> inputs;
	std::vector<KrPortInfo> outputs;
	std::vector<KrLightInfo> lights;
	std::vector<KrSettingInfo> settings;
	/** The CLUSTER hub: the one model with a display and a settings menu. */
	bool isCluster = false;

	/** Reads model `index` from the ABI and checks it; NULL (with a warning) when the
	descriptor cannot be used. */
	static KubeModel* fromAbi(uint32_t index);

	rack::engine::Module* createModule() override;
	rack::app::ModuleWidget* createModuleWidget(rack::engine::Module* m) override;
};

/** The generic Module: forwards every sample to kr_module_process with plain float arrays
sized once in the constructor, copying in only connected input channels and copying out
only the outputs and lights the core marks written. */
struct KubeModule : rack::engine::Module {
	KubeModel* kubeModel;
	/** NULL when the core could not create the module; it then stays silent. */
	KrModule* handle = NULL;

	// Per-sample buffers, allocated in the constructor and never resized.
	std::vector<float> paramValues;
	std::vector<float> inputVoltages;  // KR_MAX_CHANNELS per input
	std::vector<uint8_t> inputChannels;
	std::vector<float> outputVoltages;  // KR_MAX_CHANNELS per output
	std::vector<uint8_t> outputChannels;
	std::vector<float> lightValues;
	KrProcessArgs args;

	/** Copy every output and light out at the next sample, written or not (set when the
	module is un-bypassed, on the UI thread). */
	std::atomic<bool> rewriteAll;

	/** Status of the latest kr_module_process call, for the widget (UI thread). */
	std::atomic<int32_t> lastStatus;

	explicit KubeModule(KubeModel* model);
	~KubeModule() override;

	void process(const ProcessArgs& a) override;
	void onSampleRateChange(const SampleRateChangeEvent& e) override;
	void onReset(const ResetEvent& e) override;
	void onRandomize(const RandomizeEvent& e) override;
	void onBypass(const BypassEvent& e) override;
	void onUnBypass(const UnBypassEvent& e) override;
	void onAdd(const AddEvent& e) override;
	json_t* dataToJson() override;
	void dataFromJson(json_t* rootJ) override;

	/** The core's saved settings as a JSON object, or NULL. Not for the audio thread. */
	json_t* settingsObject();
	/** Applies a settings object through kr_module_load_json; false (with a warning) when the
	core rejects it. Not for the audio thread. */
	bool applySettings(json_t* settingsJ);
	/** Whether the core reports this module faulted (or it could not be created). */
	bool isFaulted();
	/** The core's last error message; not for the audio thread. */
	std::string lastError();

private:
	void writeSilence();
};

/** The generic ModuleWidget: panel, components at the descriptor positions, a fault overlay
and, for the CLUSTER, its display and settings menu. */
struct KubeModuleWidget : rack::app::ModuleWidget {
	KubeModel* kubeModel;
	KubeModule* kubeModule;

	KubeModuleWidget(KubeModel* model, KubeModule* module);
	void appendContextMenu(rack::ui::Menu* menu) override;
	/** Changes one live-sync setting of a hub (taking `valueJ`'s reference), undoably; a
	no-op when the core refuses it. UI thread only. */
	void changeSyncSetting(const char* key, json_t* valueJ, const std::string& actionName);
	/** Sets the value at a dotted key of the core's saved settings (taking `valueJ`'s
	reference), undoably; a no-op when the core rejects it. UI thread only. */
	void changeSetting(const char* dottedKey, json_t* valueJ, const std::string& actionName);

private:
	void addParamWidget(int index, const KrParamInfo& p);
	void addLightWidget(int index, const KrLightInfo& l);
	void appendClusterMenu(rack::ui::Menu* menu);
	void appendSyncMenu(rack::ui::Menu* menu);
	/** "Record cluster to file…" / "Replay trace…" (start and stop), through kr_sync_record and
	kr_replay_start; files chosen with osdialog, UI thread only. */
	void appendTraceMenu(rack::ui::Menu* menu);
	void appendSettingsMenu(rack::ui::Menu* menu);
	void changeClusterSetting(const char* key, json_int_t value, const std::string& actionName);
};

/** The module's status line (e.g. why an AUTOSCALER cannot scale up), centred on the
descriptor's status position; the text comes from kr_module_status, read on the UI thread. */
struct StatusText : rack::widget::TransparentWidget {
	KubeModule* module = NULL;
	std::string text;

	void step() override;
	void drawLayer(const DrawArgs& args, int layer) override;
};

/** Changes one live-sync setting of a hub through kr_sync_configure (a JSON object of the
fields to change); false (with a warning) when the core refuses it. UI thread only. */
bool configureSync(KrModule* handle, const char* key, json_t* valueJ);

/** Shows FAULT and the core's message over a module whose Rust side panicked. Reads the
message on the UI thread (step), never on the audio thread. */
struct FaultOverlay : rack::widget::TransparentWidget {
	KubeModule* module = NULL;
	bool shown = false;
	std::string message;

	void step() override;
	void drawLayer(const DrawArgs& args, int layer) override;
};

/** The CLUSTER's display: nodes as columns, pods as blocks coloured by state, the pending
queue, revision and simulated time. Reads kr_cluster_view on the UI thread. */
struct ClusterDisplay : rack::widget::Widget {
	KubeModule* module = NULL;

	ClusterDisplay();
	void step() override;
	void draw(const DrawArgs& args) override;
	void drawLayer(const DrawArgs& args, int layer) override;

	/** Most nodes, and pods per node, the display keeps (the view ABI's limits). */
	enum { MAX_NODES = 32, MAX_PODS = 32 };
	struct Node {
		bool ready = false;
		bool cordoned = false;
		float cpu = 0.f;
		uint32_t numPods = 0;
		uint8_t podState[MAX_PODS] = {};
	};
	/** What the display draws, copied from the core's snapshot. */
	struct View {
		bool valid = false;
		uint64_t revision = 0;
		double timeS = 0.0;
		float cpu = 0.f;
		uint32_t pending = 0;
		int numNodes = 0;
		Node nodes[MAX_NODES];
	};

private:
	View view;
	/** Why there is nothing to show, when view.valid is false. */
	std::string note;
	/** Live sync: a KR_SYNC_* state and the last error, read each frame. */
	uint32_t syncState = 0;
	std::string syncError;
	/** The real cluster in a few words (nodes, requested CPU) once sync has listed it. */
	std::string syncReal;

	void followSync();
	void drawSync(NVGcontext* vg, rack::math::Rect area);
	void fetchView();
	void sampleView();
	void drawNodes(NVGcontext* vg, rack::math::Rect area);
	void drawPending(NVGcontext* vg, rack::math::Rect area);
};

} // namespace kuberack
