// KubeRack: plugin entry point and the Model that serves every module the core describes.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "plugin.hpp"

#include <cmath>

rack::plugin::Plugin* pluginInstance = NULL;

namespace kuberack {

namespace {

const char* orEmpty(const char* s) {
	return s ? s : "";
}

bool finitePosition(float x, float y) {
	return std::isfinite(x) && std::isfinite(y);
}

} // namespace

KubeModel* KubeModel::fromAbi(uint32_t index) {
	KrModelInfo info = KrModelInfo();
	int32_t status = kr_model_info(index, &info);
	if (status != KR_OK) {
		WARN("KubeRack: model %u has no descriptor (status %d); skipped", (unsigned) index, (int) status);
		return NULL;
	}
	if (!info.slug || !info.slug[0] || !info.name) {
		WARN("KubeRack: model %u has no slug or name; skipped", (unsigned) index);
		return NULL;
	}
	if (info.num_params > 256 || info.num_inputs > 256 || info.num_outputs > 256 || info.num_lights > 1024
		|| info.num_settings > 256) {
		WARN("KubeRack: model %s declares implausible counts; skipped", info.slug);
		return NULL;
	}

	KubeModel* model = new KubeModel;
	model->index = index;
	model->info = info;
	model->slug = info.slug;
	// plugin.json is the source Rack reads these from; set them too so that a model is
	// complete on its own.
	model->name = orEmpty(info.name);
	model->description = orEmpty(info.description);
	model->isCluster = (model->slug == "Cluster");

	bool ok = true;
	model->params.resize(info.num_params);
	for (uint32_t i = 0; ok && i < info.num_params; i++) {
		KrParamInfo& p = model->params[i];
		ok = kr_model_param(index, i, &p) == KR_OK && finitePosition(p.x_mm, p.y_mm)
			&& std::isfinite(p.min) && std::isfinite(p.max) && p.min < p.max
			&& (p.num_labels == 0 || p.labels);
	}
	model->inputs.resize(info.num_inputs);
	for (uint32_t i = 0; ok && i < info.num_inputs; i++) {
		KrPortInfo& p = model->inputs[i];
		ok = kr_model_input(index, i, &p) == KR_OK && finitePosition(p.x_mm, p.y_mm);
	}
	model->outputs.resize(info.num_outputs);
	for (uint32_t i = 0; ok && i < info.num_outputs; i++) {
		KrPortInfo& p = model->outputs[i];
		ok = kr_model_output(index, i, &p) == KR_OK && finitePosition(p.x_mm, p.y_mm);
	}
	model->lights.resize(info.num_lights);
	for (uint32_t i = 0; ok && i < info.num_lights; i++) {
		KrLightInfo& l = model->lights[i];
		ok = kr_model_light(index, i, &l) == KR_OK && finitePosition(l.x_mm, l.y_mm);
	}
	model->settings.resize(info.num_settings);
	for (uint32_t i = 0; ok && i < info.num_settings; i++) {
		KrSettingInfo& s = model->settings[i];
		// A setting without choices is one line of text (checked by kr_model_check_setting).
		ok = kr_model_setting(index, i, &s) == KR_OK && s.key && s.group && s.name
			&& (s.num_choices == 0
				|| (s.default_choice < s.num_choices && s.choice_labels && s.choice_values));
	}
	if (!ok) {
		WARN("KubeRack: model %s has a descriptor the plugin cannot use; skipped", info.slug);
		delete model;
		return NULL;
	}
	return model;
}

rack::engine::Module* KubeModel::createModule() {
	// The constructor sets Module::model, as Rack's own factory does after construction.
	return new KubeModule(this);
}

rack::app::ModuleWidget* KubeModel::createModuleWidget(rack::engine::Module* m) {
	KubeModule* km = NULL;
	if (m) {
		assert(m->model == this);
		km = dynamic_cast<KubeModule*>(m);
	}
	KubeModuleWidget* mw = new KubeModuleWidget(this, km);
	mw->setModel(this);
	return mw;
}

} // namespace kuberack

void init(rack::plugin::Plugin* p) {
	pluginInstance = p;

	uint32_t abi = kr_abi_version();
	if (abi != KR_ABI_VERSION) {
		// Registering nothing makes Rack refuse the plugin with a clear manifest error instead
		// of running modules against a core that lays its structs out differently.
		WARN("KubeRack: the linked core speaks C ABI %u, this plugin was built for %u; no modules registered",
			(unsigned) abi, (unsigned) KR_ABI_VERSION);
		return;
	}

	uint32_t count = kr_model_count();
	for (uint32_t i = 0; i < count; i++) {
		kuberack::KubeModel* model = kuberack::KubeModel::fromAbi(i);
		if (model)
			p->addModel(model);
	}
}
