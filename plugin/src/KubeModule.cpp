// KubeRack: the generic Module. It holds no logic: it configures itself from the model's
// descriptors and forwards each sample to the Rust core.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "plugin.hpp"

#include <cstdlib>
#include <cstring>

namespace kuberack {

namespace {

/** Wraps the core's saved text when jansson cannot represent it as JSON values. */
const char* const RAW_JSON_KEY = "kuberackRawJson";

std::string portDescription(const KrPortInfo& p) {
	std::string d = p.description ? p.description : "";
	if (p.scale && p.scale[0]) {
		if (!d.empty())
			d += " ";
		d += "(";
		d += p.scale;
		d += ")";
	}
	return d;
}

} // namespace

KubeModule::KubeModule(KubeModel* m) : kubeModel(m), rewriteAll(true), lastStatus(KR_OK) {
	model = m;
	const int np = (int) m->params.size();
	const int ni = (int) m->inputs.size();
	const int no = (int) m->outputs.size();
	const int nl = (int) m->lights.size();
	config(np, ni, no, nl);

	for (int i = 0; i < np; i++) {
		const KrParamInfo& p = m->params[i];
		std::string name = p.name ? p.name : "";
		rack::engine::ParamQuantity* pq = NULL;
		std::vector<std::string> labels;
		for (uint32_t k = 0; k < p.num_labels; k++)
			labels.push_back(p.labels[k] ? p.labels[k] : "");

		if (p.kind == PARAM_BUTTON) {
			// Momentary button: Rack never randomizes these.
			pq = configButton(i, name);
		}
		else if (p.kind == PARAM_SWITCH && !labels.empty() && (float) labels.size() == p.max - p.min + 1.f) {
			pq = configSwitch(i, p.min, p.max, p.default_value, name, labels);
		}
		else {
			pq = configParam(i, p.min, p.max, p.default_value, name, p.unit ? p.unit : "",
				p.display_base, p.display_multiplier, p.display_offset);
			pq->snapEnabled = p.snap != 0 || p.kind == PARAM_SWITCH;
		}
		if (p.description)
			pq->description = p.description;
	}
	for (int i = 0; i < ni; i++) {
		const KrPortInfo& p = m->inputs[i];
		rack::engine::PortInfo* info = configInput(i, p.name ? p.name : "");
		info->description = portDescription(p);
	}
	for (int i = 0; i < no; i++) {
		const KrPortInfo& p = m->outputs[i];
		rack::engine::PortInfo* info = configOutput(i, p.name ? p.name : "");
		info->description = portDescription(p);
	}
	for (int i = 0; i < nl; i++) {
		const KrLightInfo& l = m->lights[i];
		rack::engine::LightInfo* info = configLight(i, l.name ? l.name : "");
		if (l.description)
			info->description = l.description;
	}

	// Every buffer process() touches is sized here, once.
	paramValues.assign(np, 0.f);
	inputVoltages.assign((size_t) ni * KR_MAX_CHANNELS, 0.f);
	inputChannels.assign(ni, 0);
	outputVoltages.assign((size_t) no * KR_MAX_CHANNELS, 0.f);
	outputChannels.assign(no, 0);
	lightValues.assign(nl, 0.f);

	args = KrProcessArgs();
	args.params = paramValues.empty() ? NULL : paramValues.data();
	args.num_params = (uint32_t) np;
	args.inputs = inputVoltages.empty() ? NULL : inputVoltages.data();
	args.input_channels = inputChannels.empty() ? NULL : inputChannels.data();
	args.num_inputs = (uint32_t) ni;
	args.outputs = outputVoltages.empty() ? NULL : outputVoltages.data();
	args.output_channels = outputChannels.empty() ? NULL : outputChannels.data();
	args.num_outputs = (uint32_t) no;
	args.lights = lightValues.empty() ? NULL : lightValues.data();
	args.num_lights = (uint32_t) nl;

	handle = kr_module_create(m->index);
	if (!handle)
		WARN("KubeRack %s: the core could not create the module; it stays silent", m->slug.c_str());
}

KubeModule::~KubeModule() {
	kr_module_free(handle);
	handle = NULL;
}

void KubeModule::writeSilence() {
	for (rack::engine::Output& output : outputs) {
		output.setChannels(1);
		output.setVoltage(0.f);
	}
	for (rack::engine::Light& light : lights)
		light.setBrightness(0.f);
}

void KubeModule::process(const ProcessArgs& a) {
	if (!handle) {
		writeSilence();
		return;
	}

	const size_t np = params.size();
	for (size_t i = 0; i < np; i++)
		paramValues[i] = params[i].getValue();

	// Only the connected channels: the core never reads past an input's channel count.
	const size_t ni = inputs.size();
	for (size_t i = 0; i < ni; i++) {
		const rack::engine::Input& input = inputs[i];
		const int channels = input.channels;
		inputChannels[i] = (uint8_t) channels;
		// A mono cable (a reference, a gate, a CV) is one float: no call to memcpy.
		if (channels == 1)
			inputVoltages[i * KR_MAX_CHANNELS] = input.voltages[0];
		else if (channels > 0)
			std::memcpy(&inputVoltages[i * KR_MAX_CHANNELS], input.voltages, sizeof(float) * channels);
	}

	const int32_t status = kr_module_process(handle, &args);
	if (status != lastStatus.load(std::memory_order_relaxed))
		lastStatus.store(status, std::memory_order_relaxed);
	if (status != KR_OK) {
		// Faulted now or before (the core already wrote silence), or a broken contract.
		writeSilence();
		return;
	}

	// Only what the core wrote: Rack keeps every port's voltages between samples (after a
	// bypass, which zeroed them, everything once).
	uint32_t written = args.written;
	if (rewriteAll.load(std::memory_order_relaxed)) {
		written = ~0u;
		rewriteAll.store(false, std::memory_order_relaxed);
	}
	if (written == 0)
		return;
	const size_t no = outputs.size();
	for (size_t i = 0; i < no; i++) {
		if (!(written & (1u << i)))
			continue;
		rack::engine::Output& output = outputs[i];
		int channels = outputChannels[i];
		if (channels > KR_MAX_CHANNELS)
			channels = KR_MAX_CHANNELS;
		output.setChannels(channels);
		if (channels == 1)
			output.voltages[0] = outputVoltages[i * KR_MAX_CHANNELS];
		else if (channels > 1)
			std::memcpy(output.voltages, &outputVoltages[i * KR_MAX_CHANNELS], sizeof(float) * channels);
	}

	if (written & KR_LIGHTS_WRITTEN) {
		const size_t nl = lights.size();
		for (size_t i = 0; i < nl; i++)
			lights[i].setBrightness(lightValues[i]);
	}
}

void KubeModule::onSampleRateChange(const SampleRateChangeEvent& e) {
	Module::onSampleRateChange(e);
	if (!handle)
		return;
	int32_t status = kr_module_set_sample_rate(handle, e.sampleRate);
	if (status != KR_OK && status != KR_ERR_FAULTED)
		WARN("KubeRack %s: sample rate %g Hz refused (status %d)", kubeModel->slug.c_str(), e.sampleRate, (int) status);
}

void KubeModule::onReset(const ResetEvent& e) {
	// Rack resets the params; the core returns its settings and state to their defaults.
	Module::onReset(e);
	if (handle)
		kr_module_reset(handle);
}

void KubeModule::onRandomize(const RandomizeEvent& e) {
	// Params only, the way Rack randomizes every module (buttons are excluded by
	// configButton). The world, its seed and control rate are left as they are.
	Module::onRandomize(e);
}

void KubeModule::onBypass(const BypassEvent& e) {
	// The engine zeroes the outputs on bypass; the lights go dark too (a bypassed hub is a
	// control plane that is down). The core keeps its state for when the module returns.
	Module::onBypass(e);
	for (rack::engine::Light& light : lights)
		light.setBrightness(0.f);
}

void KubeModule::onUnBypass(const UnBypassEvent& e) {
	// Rack cleared the outputs while bypassed; the core holds what it last wrote.
	Module::onUnBypass(e);
	rewriteAll.store(true, std::memory_order_relaxed);
}

void KubeModule::onAdd(const AddEvent& e) {
	// The engine has given the module its id (a loaded patch's, or a new one): live sync
	// names the module's real objects after it, so they survive saving and reloading.
	Module::onAdd(e);
	if (handle)
		kr_module_set_id(handle, id);
}

json_t* KubeModule::dataToJson() {
	if (!handle)
		return NULL;
	char* text = kr_module_save_json(handle);
	if (!text) {
		WARN("KubeRack %s: the core could not save its settings", kubeModel->slug.c_str());
		return NULL;
	}
	json_error_t error;
	json_t* rootJ = json_loads(text, JSON_DECODE_ANY, &error);
	if (!rootJ) {
		// Jansson rejects some JSON that serde_json writes (an integer above INT64_MAX, say):
		// keep the text itself, which dataFromJson hands back verbatim, so the patch loses
		// nothing.
		WARN("KubeRack %s: saved settings kept as text (%s)", kubeModel->slug.c_str(), error.text);
		rootJ = json_object();
		json_object_set_new(rootJ, RAW_JSON_KEY, json_string(text));
	}
	kr_string_free(text);
	return rootJ;
}

void KubeModule::dataFromJson(json_t* rootJ) {
	if (!handle || !rootJ)
		return;
	char* owned = NULL;
	const char* text = NULL;
	json_t* rawJ = json_object_get(rootJ, RAW_JSON_KEY);
	if (json_is_object(rootJ) && json_object_size(rootJ) == 1 && json_is_string(rawJ)) {
		text = json_string_value(rawJ);
	}
	else {
		owned = json_dumps(rootJ, JSON_COMPACT | JSON_ENCODE_ANY);
		text = owned;
	}
	if (!text) {
		WARN("KubeRack %s: saved settings could not be read; keeping defaults", kubeModel->slug.c_str());
		return;
	}
	int32_t status = kr_module_load_json(handle, text);
	std::free(owned);
	if (status != KR_OK) {
		WARN("KubeRack %s: saved settings rejected (status %d), defaults kept where unreadable: %s",
			kubeModel->slug.c_str(), (int) status, lastError().c_str());
	}
}

json_t* KubeModule::settingsObject() {
	json_t* rootJ = dataToJson();
	if (rootJ && (!json_is_object(rootJ) || json_object_get(rootJ, RAW_JSON_KEY))) {
		json_decref(rootJ);
		rootJ = NULL;
	}
	return rootJ;
}

bool KubeModule::applySettings(json_t* settingsJ) {
	if (!handle || !settingsJ)
		return false;
	char* text = json_dumps(settingsJ, JSON_COMPACT);
	if (!text)
		return false;
	int32_t status = kr_module_load_json(handle, text);
	std::free(text);
	if (status != KR_OK) {
		WARN("KubeRack %s: settings refused (status %d): %s", kubeModel->slug.c_str(), (int) status,
			lastError().c_str());
		return false;
	}
	return true;
}

bool KubeModule::isFaulted() {
	if (!handle)
		return true;
	return kr_module_is_faulted(handle) == 1;
}

std::string KubeModule::lastError() {
	if (!handle)
		return "the core could not create this module (too many KubeRack modules?)";
	char buffer[512];
	int32_t length = kr_module_last_error(handle, buffer, sizeof(buffer));
	if (length < 0)
		return rack::string::f("no message (status %d)", (int) length);
	if ((size_t) length < sizeof(buffer))
		return std::string(buffer);
	// Longer than the stack buffer: ask again with room for all of it.
	std::vector<char> big((size_t) length + 1, '\0');
	kr_module_last_error(handle, big.data(), big.size());
	return std::string(big.data());
}

} // namespace kuberack
