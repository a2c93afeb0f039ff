// KubeRack: the CLUSTER's display, the only module-specific C++ in the plugin. It draws the
// hub's published snapshot of the world: nodes as columns, pods as blocks coloured by state,
// the pending queue, the etcd revision and the simulated time.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "plugin.hpp"

#include <algorithm>
#include <osdialog.h>
#include <cmath>
#include <cstdio>

namespace kuberack {

using rack::math::Rect;
using rack::math::Vec;

namespace {

// Pod states, numbered as KrClusterView's pod_state (KR_POD_*).
enum {
	POD_UNSCHEDULED = 0,
	POD_BOUND = 1,
	POD_CREATING = 2,
	POD_RUNNING = 3,
	POD_READY = 4,
	POD_TERMINATING = 5,
	POD_FAILED = 6
};

/** One colour per pod state: waiting warm, starting cool, serving green, leaving and
broken at the ends of the spectrum. */
NVGcolor podColor(uint8_t state) {
	switch (state) {
		case POD_UNSCHEDULED: return nvgRGB(0xff, 0x9f, 0x1c);  // orange: pending, no node
		case POD_BOUND: return nvgRGB(0x6f, 0x9b, 0xff);  // blue: bound, kubelet not started
		case POD_CREATING: return nvgRGB(0xff, 0xe0, 0x3a);  // yellow: pulling, creating
		case POD_RUNNING: return nvgRGB(0x2e, 0xc4, 0xb6);  // teal: running, not Ready
		case POD_READY: return nvgRGB(0x6a, 0xe8, 0x5a);  // green: Ready
		case POD_TERMINATING: return nvgRGB(0xb4, 0x8c, 0xff);  // violet: terminating
		case POD_FAILED: return nvgRGB(0xff, 0x3b, 0x30);  // red: failed
		default: return nvgRGB(0x80, 0x80, 0x80);
	}
}

const NVGcolor TEXT_COLOR = nvgRGB(0xc8, 0xd4, 0xe4);
const NVGcolor DIM_TEXT_COLOR = nvgRGB(0x7d, 0x8a, 0x9c);

/** Simulated time, compact: 12.3s, 4m05s, 2h07m, 3d04h. */
void formatTime(double t, char* out, size_t len) {
	if (!std::isfinite(t) || t < 0.0)
		t = 0.0;
	t = std::min(t, 99999.0 * 86400.0);
	if (t < 60.0) {
		std::snprintf(out, len, "%.1fs", t);
		return;
	}
	const uint64_t s = (uint64_t) t;
	if (s < 3600)
		std::snprintf(out, len, "%um%02us", (unsigned) (s / 60), (unsigned) (s % 60));
	else if (s < 86400)
		std::snprintf(out, len, "%uh%02um", (unsigned) (s / 3600), (unsigned) (s / 60 % 60));
	else
		std::snprintf(out, len, "%ud%02uh", (unsigned) std::min<uint64_t>(s / 86400, 99999), (unsigned) (s / 3600 % 24));
}

/** The etcd revision, shortened past six digits (1.2M, 3.4G, ...). */
void formatRevision(uint64_t rev, char* out, size_t len) {
	if (rev < 1000000) {
		std::snprintf(out, len, "rev %u", (unsigned) rev);
		return;
	}
	static const char suffixes[] = "kMGTPE";
	double v = (double) rev;
	int i = -1;
	while (v >= 1000.0 && i < 5) {
		v /= 1000.0;
		i++;
	}
	std::snprintf(out, len, "rev %.1f%c", v, suffixes[i]);
}

void fillRect(NVGcontext* vg, float x, float y, float w, float h, NVGcolor color) {
	nvgBeginPath(vg);
	nvgRect(vg, x, y, w, h);
	nvgFillColor(vg, color);
	nvgFill(vg);
}

} // namespace

ClusterDisplay::ClusterDisplay() {
	box.size = rack::window::mm2px(Vec(50.f, 40.f));
}

void ClusterDisplay::step() {
	Widget::step();
	if (!module) {
		// The module browser: a small example cluster, so the panel shows what it does.
		if (!view.valid)
			sampleView();
		return;
	}
	fetchView();
	followSync();
}

/** Shows the outcome of an "Import from cluster…" once it ends: where the patch was written
and what it could not represent (all of it in Rack's log). UI thread only. */
static void followImport() {
	char* report = kr_import_poll();
	if (!report)
		return;
	const std::string text = report;
	kr_string_free(report);
	INFO("KubeRack Cluster: %s", text.c_str());
	// The dialog shows the first lines; the log holds them all.
	std::string shown;
	int lines = 0;
	for (size_t at = 0; at < text.size() && lines < 24; lines++) {
		const size_t end = std::min(text.find('\n', at), text.size());
		shown += text.substr(at, end - at) + "\n";
		at = end + 1;
	}
	if (shown.size() < text.size())
		shown += "… (the rest is in Rack's log)\n";
	if (text.rfind("wrote ", 0) == 0)
		shown += "\nOpen it with File > Open.";
	osdialog_message(text.rfind("wrote ", 0) == 0 ? OSDIALOG_INFO : OSDIALOG_WARNING, OSDIALOG_OK, shown.c_str());
}

void ClusterDisplay::followSync() {
	followImport();
	// Starts or stops the hub's sync thread as its SYNC switch and gate ask (never waiting
	// for the thread), then reads its state and last error for the bottom line.
	syncState = KR_SYNC_OFF;
	syncError.clear();
	syncReal.clear();
	if (!module->handle)
		return;
	kr_sync_poll(module->handle);
	KrSyncStatus s;
	if (kr_sync_status(module->handle, &s) != KR_OK)
		return;
	syncState = s.state;
	s.last_error[KR_SYNC_ERROR_LEN - 1] = 0;
	if (s.state == KR_SYNC_DEGRADED || s.state == KR_SYNC_ERROR)
		syncError = s.last_error;
	if (s.real_known)
		syncReal = rack::string::f("%u nodes (%u ready), CPU %d%% requested", (unsigned) s.real_nodes,
			(unsigned) s.real_ready_nodes, (int) std::round(s.real_cpu_utilisation * 100.f));
}

void ClusterDisplay::drawSync(NVGcontext* vg, Rect area) {
	// One line: the sync state, and the last error while degraded or failing, else the real
	// cluster's nodes and requested CPU.
	const char* word = "";
	NVGcolor color = DIM_TEXT_COLOR;
	switch (syncState) {
		case KR_SYNC_CONNECTING: word = "SYNC connecting"; color = nvgRGB(0x5a, 0x9c, 0xff); break;
		case KR_SYNC_SYNCED: word = "SYNC synced"; color = nvgRGB(0x5c, 0xd6, 0x7a); break;
		case KR_SYNC_DEGRADED: word = "SYNC degraded"; color = nvgRGB(0xf2, 0xc1, 0x3d); break;
		case KR_SYNC_ERROR: word = "SYNC error"; color = nvgRGB(0xff, 0x5a, 0x50); break;
		default: return;
	}
	std::string line = word;
	if (!syncError.empty())
		line += ": " + syncError;
	else if (!syncReal.empty())
		line += ": " + syncReal;
	// Two lines at most; the log has the whole text.
	line = rack::string::ellipsize(line, 100);
	nvgFontSize(vg, 8.f);
	nvgFillColor(vg, color);
	nvgTextAlign(vg, NVG_ALIGN_LEFT | NVG_ALIGN_TOP);
	nvgTextBox(vg, area.pos.x, area.pos.y, area.size.x, line.c_str(), NULL);
}

void ClusterDisplay::fetchView() {
	if (!module->handle) {
		view.valid = false;
		note = "no cluster";
		return;
	}
#ifdef KR_VIEW_MAX_NODES
	// The core's snapshot (lock-free on its side): read here, on the UI thread, only.
	KrClusterView v;
	const int32_t status = kr_cluster_view(module->handle, &v);
	if (status != KR_OK) {
		// A torn read (KR_ERR_FAULTED while the hub publishes) is retried next frame: keep
		// showing the last snapshot until then.
		if (!view.valid)
			note = rack::string::f("no view (status %d)", (int) status);
		return;
	}
	view.valid = true;
	view.revision = v.revision;
	view.timeS = v.time_s;
	view.cpu = v.cpu_utilisation;
	view.pending = v.pending;
	const int numNodes = (int) std::min<uint32_t>(v.num_nodes, (uint32_t) std::min<int>(MAX_NODES, KR_VIEW_MAX_NODES));
	view.numNodes = numNodes;
	const int podsPerNode = std::min<int>(MAX_PODS, KR_VIEW_MAX_PODS);
	for (int n = 0; n < numNodes; n++) {
		Node& node = view.nodes[n];
		node.ready = v.node_ready[n] != 0;
		node.cordoned = v.node_cordoned[n] != 0;
		node.cpu = v.node_cpu_utilisation[n];
		node.numPods = v.node_num_pods[n];
		const int shown = (int) std::min<uint32_t>(node.numPods, (uint32_t) podsPerNode);
		for (int p = 0; p < shown; p++)
			node.podState[p] = v.pod_state[n][p];
	}
#else
	// Built against a core header without the view ABI: nothing to draw yet.
	view.valid = false;
	note = "no view in this build";
#endif
}

void ClusterDisplay::sampleView() {
	static const uint8_t pods0[] = {POD_READY, POD_READY, POD_READY, POD_READY, POD_RUNNING, POD_CREATING};
	static const uint8_t pods1[] = {POD_READY, POD_READY, POD_READY, POD_TERMINATING, POD_BOUND};
	static const uint8_t pods2[] = {POD_READY, POD_READY, POD_FAILED};
	const uint8_t* pods[] = {pods0, pods1, pods2};
	const uint32_t counts[] = {sizeof(pods0), sizeof(pods1), sizeof(pods2)};
	const float cpus[] = {0.72f, 0.55f, 0.3f};

	view = View();
	view.valid = true;
	view.revision = 1042;
	view.timeS = 93.5;
	view.cpu = 0.52f;
	view.pending = 3;
	view.numNodes = 3;
	for (int n = 0; n < 3; n++) {
		Node& node = view.nodes[n];
		node.ready = true;
		node.cordoned = (n == 2);
		node.cpu = cpus[n];
		node.numPods = counts[n];
		for (uint32_t p = 0; p < counts[n]; p++)
			node.podState[p] = pods[n][p];
	}
}

void ClusterDisplay::draw(const DrawArgs& args) {
	// The screen itself, dark in both panel themes; its contents glow on layer 1.
	NVGcontext* vg = args.vg;
	nvgBeginPath(vg);
	nvgRoundedRect(vg, 0, 0, box.size.x, box.size.y, 3.f);
	nvgFillPaint(vg, nvgLinearGradient(vg, 0, 0, 0, box.size.y, nvgRGB(0x14, 0x19, 0x21), nvgRGB(0x0a, 0x0d, 0x12)));
	nvgFill(vg);
	nvgStrokeColor(vg, nvgRGBA(0x00, 0x00, 0x00, 0x90));
	nvgStrokeWidth(vg, 1.f);
	nvgStroke(vg);
	Widget::draw(args);
}

void ClusterDisplay::drawLayer(const DrawArgs& args, int layer) {
	if (layer == 1) {
		NVGcontext* vg = args.vg;
		nvgSave(vg);
		nvgIntersectScissor(vg, 0, 0, box.size.x, box.size.y);

		const float m = 4.f;  // margin, px
		std::shared_ptr<rack::window::Font> font =
			APP->window->loadFont(rack::asset::system("res/fonts/ShareTechMono-Regular.ttf"));
		const bool haveFont = font && font->handle >= 0;
		if (haveFont)
			nvgFontFaceId(vg, font->handle);

		if (!view.valid) {
			if (haveFont) {
				nvgFontSize(vg, 10.f);
				nvgTextAlign(vg, NVG_ALIGN_CENTER | NVG_ALIGN_MIDDLE);
				nvgFillColor(vg, DIM_TEXT_COLOR);
				nvgText(vg, box.size.x / 2, box.size.y / 2, note.c_str(), NULL);
			}
		}
		else {
			// Header: revision, utilisation, simulated time.
			const float headerH = 11.f;
			if (haveFont) {
				char text[48];
				const float cy = m + headerH / 2;
				nvgFontSize(vg, 9.f);
				nvgFillColor(vg, TEXT_COLOR);
				nvgTextAlign(vg, NVG_ALIGN_LEFT | NVG_ALIGN_MIDDLE);
				formatRevision(view.revision, text, sizeof(text));
				const float revEnd = nvgText(vg, m, cy, text, NULL);

				nvgTextAlign(vg, NVG_ALIGN_RIGHT | NVG_ALIGN_MIDDLE);
				formatTime(view.timeS, text, sizeof(text));
				const float timeStart = box.size.x - m - nvgTextBounds(vg, 0, 0, text, NULL, NULL);
				nvgText(vg, box.size.x - m, cy, text, NULL);

				// Utilisation between them, when it fits.
				const float cpu = std::isfinite(view.cpu) ? rack::math::clamp(view.cpu, 0.f, 9.99f) : 0.f;
				std::snprintf(text, sizeof(text), "cpu %d%%", (int) std::round(cpu * 100.f));
				const float cpuW = nvgTextBounds(vg, 0, 0, text, NULL, NULL);
				if (timeStart - revEnd >= cpuW + 8.f) {
					nvgTextAlign(vg, NVG_ALIGN_CENTER | NVG_ALIGN_MIDDLE);
					nvgFillColor(vg, DIM_TEXT_COLOR);
					nvgText(vg, (revEnd + timeStart) / 2, cy, text, NULL);
				}
			}
			const float pendingY = m + headerH + 2.f;
			const float pendingH = 8.f;
			drawPending(vg, Rect(m, pendingY, box.size.x - 2 * m, pendingH));
			const float nodesY = pendingY + pendingH + 4.f;
			// While sync is on, its state and last error take the bottom lines.
			const float syncH = (syncState != KR_SYNC_OFF && haveFont) ? 20.f : 0.f;
			drawNodes(vg, Rect(m, nodesY, box.size.x - 2 * m, box.size.y - nodesY - m - syncH));
			if (syncH > 0.f)
				drawSync(vg, Rect(m, box.size.y - m - syncH, box.size.x - 2 * m, syncH));
		}
		nvgRestore(vg);
	}
	Widget::drawLayer(args, layer);
}

void ClusterDisplay::drawPending(NVGcontext* vg, Rect area) {
	// "PENDING n" then one block per pending pod, as many as fit.
	char label[32];
	std::snprintf(label, sizeof(label), "PENDING %u", (unsigned) view.pending);
	float x = area.pos.x;
	const float cy = area.pos.y + area.size.y / 2;
	nvgFontSize(vg, 8.f);
	nvgTextAlign(vg, NVG_ALIGN_LEFT | NVG_ALIGN_MIDDLE);
	nvgFillColor(vg, view.pending > 0 ? podColor(POD_UNSCHEDULED) : DIM_TEXT_COLOR);
	x = nvgText(vg, x, cy, label, NULL) + 4.f;

	const float blockW = 3.f;
	const float gap = 1.f;
	const float right = area.pos.x + area.size.x;
	const float reserve = 16.f;  // room for "+N"
	uint32_t drawn = 0;
	const NVGcolor c = podColor(POD_UNSCHEDULED);
	while (drawn < view.pending && x + blockW <= right - (drawn + 1 < view.pending ? reserve : 0.f)) {
		fillRect(vg, x, area.pos.y + 1.f, blockW, area.size.y - 2.f, c);
		x += blockW + gap;
		drawn++;
	}
	if (drawn < view.pending) {
		char more[16];
		std::snprintf(more, sizeof(more), "+%u", (unsigned) (view.pending - drawn));
		nvgText(vg, x + 1.f, cy, more, NULL);
	}
}

void ClusterDisplay::drawNodes(NVGcontext* vg, Rect area) {
	if (view.numNodes <= 0) {
		nvgFontSize(vg, 9.f);
		nvgTextAlign(vg, NVG_ALIGN_CENTER | NVG_ALIGN_MIDDLE);
		nvgFillColor(vg, DIM_TEXT_COLOR);
		nvgText(vg, area.getCenter().x, area.getCenter().y, "no nodes: patch API into a NODE", NULL);
		return;
	}

	// Columns share the width; blocks share the height of the fullest node.
	const int n = view.numNodes;
	const float slot = area.size.x / n;
	const float colW = std::min(slot * 0.8f, 16.f);
	const float baseH = 3.f;
	const float podsH = area.size.y - baseH - 3.f;
	uint32_t mostPods = 8;
	for (int i = 0; i < n; i++)
		mostPods = std::max(mostPods, std::min<uint32_t>(view.nodes[i].numPods, MAX_PODS));
	const float pitch = std::min(podsH / mostPods, 6.f);
	const float blockH = std::max(pitch - (pitch >= 3.f ? 1.f : 0.5f), 0.75f);
	const float bottom = area.pos.y + area.size.y;

	for (int i = 0; i < n; i++) {
		const Node& node = view.nodes[i];
		const float x = area.pos.x + slot * i + (slot - colW) / 2;

		// Base: the node itself, its CPU utilisation filling it; yellow when cordoned,
		// grey when not Ready.
		const NVGcolor baseColor = node.cordoned ? nvgRGB(0xff, 0xd7, 0x14)
			: node.ready ? nvgRGB(0x90, 0xc7, 0x3e) : nvgRGB(0x5a, 0x62, 0x6e);
		const float baseY = bottom - baseH;
		fillRect(vg, x, baseY, colW, baseH, rack::color::alpha(baseColor, 0.3f));
		const float cpu = std::isfinite(node.cpu) ? rack::math::clamp(node.cpu, 0.f, 1.f) : 0.f;
		fillRect(vg, x, baseY, colW * cpu, baseH, baseColor);

		// Pods, oldest at the bottom.
		const int shown = (int) std::min<uint32_t>(node.numPods, MAX_PODS);
		for (int p = 0; p < shown; p++) {
			const float y = baseY - 1.5f - (p + 1) * pitch;
			fillRect(vg, x, y, colW, blockH, podColor(node.podState[p]));
		}
		// More pods than the view carries: a bright cap above the column.
		if (node.numPods > (uint32_t) MAX_PODS)
			fillRect(vg, x, baseY - 1.5f - (shown + 1) * pitch, colW, 1.f, TEXT_COLOR);
		// A cordoned node is fenced: a yellow outline around its column.
		if (node.cordoned) {
			const float top = baseY - 1.5f - std::max(shown, 1) * pitch - 1.f;
			nvgBeginPath(vg);
			nvgRect(vg, x - 1.f, top, colW + 2.f, bottom - top + 0.5f);
			nvgStrokeColor(vg, rack::color::alpha(nvgRGB(0xff, 0xd7, 0x14), 0.8f));
			nvgStrokeWidth(vg, 1.f);
			nvgStroke(vg);
		}
	}
}

} // namespace kuberack
