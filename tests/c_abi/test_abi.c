/*
 * KubeRack C ABI test: a plain C program, built against ffi/include/kuberack.h and linked
 * with libkuberack_ffi.a, that drives the library the way the Rack plugin does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Build and run by hand (from the repository root, after `cargo build -p kuberack-ffi`):
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I ffi/include tests/c_abi/test_abi.c \
 *      target/debug/libkuberack_ffi.a -lpthread -ldl -lm -o target/test_abi && target/test_abi
 * `cargo test -p kuberack-ffi --test c_abi` does the same.
 *
 * The last line printed is "N passed, M failed"; the exit status is non-zero on a failure.
 */

#include "kuberack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_RATE 48000.0f
#define SECONDS 10
#define PANEL_HEIGHT_MM 128.5f
#define HP_MM 5.08f

static int passed;
static int failed;

static void check(int ok, const char *what, const char *file, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
  }
}

#define CHECK(cond) check((cond) != 0, #cond, __FILE__, __LINE__)

static void check_eq(long long got, long long want, const char *what, const char *file,
                     int line) {
  if (got == want) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL %s:%d: %s: got %lld, want %lld\n", file, line, what, got, want);
  }
}

#define CHECK_EQ(got, want) check_eq((long long)(got), (long long)(want), #got, __FILE__, __LINE__)

/* ------------------------------------------------------------------------------------- */
/* A module with the buffers the host keeps for it, as the Rack shim does.                */

typedef struct Rig {
  uint32_t model;
  KrModelInfo info;
  KrModule *m;
  float *params;
  float *inputs;
  uint8_t *input_channels;
  float *outputs;
  uint8_t *output_channels;
  float *lights;
  KrProcessArgs args;
} Rig;

/* calloc that never returns NULL for a zero count, so zero-sized buffers stay valid. */
static void *alloc_zeroed(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

static int rig_open(Rig *r, const char *slug) {
  int32_t model = kr_model_find(slug);
  uint32_t i;
  memset(r, 0, sizeof *r);
  CHECK(model >= 0);
  if (model < 0) {
    return 0;
  }
  r->model = (uint32_t)model;
  CHECK_EQ(kr_model_info(r->model, &r->info), KR_OK);
  r->params = (float *)alloc_zeroed(r->info.num_params, sizeof(float));
  r->inputs = (float *)alloc_zeroed((size_t)r->info.num_inputs * KR_MAX_CHANNELS, sizeof(float));
  r->input_channels = (uint8_t *)alloc_zeroed(r->info.num_inputs, 1);
  r->outputs = (float *)alloc_zeroed((size_t)r->info.num_outputs * KR_MAX_CHANNELS, sizeof(float));
  r->output_channels = (uint8_t *)alloc_zeroed(r->info.num_outputs, 1);
  r->lights = (float *)alloc_zeroed(r->info.num_lights, sizeof(float));
  for (i = 0; i < r->info.num_params; i++) {
    KrParamInfo p;
    if (kr_model_param(r->model, i, &p) == KR_OK) {
      r->params[i] = p.default_value;
    }
  }
  r->args.params = r->params;
  r->args.num_params = r->info.num_params;
  r->args.inputs = r->inputs;
  r->args.input_channels = r->input_channels;
  r->args.num_inputs = r->info.num_inputs;
  r->args.outputs = r->outputs;
  r->args.output_channels = r->output_channels;
  r->args.num_outputs = r->info.num_outputs;
  r->args.lights = r->lights;
  r->args.num_lights = r->info.num_lights;
  r->m = kr_module_create(r->model);
  CHECK(r->m != NULL);
  if (!r->m) {
    return 0;
  }
  CHECK_EQ(kr_module_set_sample_rate(r->m, SAMPLE_RATE), KR_OK);
  return 1;
}

static void rig_close(Rig *r) {
  kr_module_free(r->m);
  free(r->params);
  free(r->inputs);
  free(r->input_channels);
  free(r->outputs);
  free(r->output_channels);
  free(r->lights);
  memset(r, 0, sizeof *r);
}

static int32_t rig_process(Rig *r) { return kr_module_process(r->m, &r->args); }

enum PortSide { INPUT, OUTPUT };

/* Index of the port with this id, looked up through the ABI; -1 when there is none. */
static int find_port(uint32_t model, enum PortSide side, const char *id) {
  uint32_t i;
  KrPortInfo p;
  for (i = 0;; i++) {
    int32_t rc = side == INPUT ? kr_model_input(model, i, &p) : kr_model_output(model, i, &p);
    if (rc != KR_OK) {
      return -1;
    }
    if (strcmp(p.id, id) == 0) {
      return (int)i;
    }
  }
}

static int find_light(uint32_t model, const char *id) {
  uint32_t i;
  KrLightInfo l;
  for (i = 0; kr_model_light(model, i, &l) == KR_OK; i++) {
    if (strcmp(l.id, id) == 0) {
      return (int)i;
    }
  }
  return -1;
}

static int find_param(uint32_t model, const char *id) {
  uint32_t i;
  KrParamInfo p;
  for (i = 0; kr_model_param(model, i, &p) == KR_OK; i++) {
    if (strcmp(p.id, id) == 0) {
      return (int)i;
    }
  }
  return -1;
}

/* Whether every output is finite within +-12 V, every light within 0..1, and every channel
 * count at most 16. */
static int outputs_clean(const Rig *r) {
  uint32_t i;
  for (i = 0; i < r->info.num_outputs * KR_MAX_CHANNELS; i++) {
    if (!isfinite(r->outputs[i]) || fabsf(r->outputs[i]) > 12.0f) {
      return 0;
    }
  }
  for (i = 0; i < r->info.num_outputs; i++) {
    if (r->output_channels[i] > KR_MAX_CHANNELS) {
      return 0;
    }
  }
  for (i = 0; i < r->info.num_lights; i++) {
    if (!(r->lights[i] >= 0.0f && r->lights[i] <= 1.0f)) {
      return 0;
    }
  }
  return 1;
}

static int nonempty(const char *s) { return s != NULL && s[0] != '\0'; }

/* ------------------------------------------------------------------------------------- */

static void test_version_and_models(void) {
  CHECK_EQ(kr_abi_version(), KR_ABI_VERSION);
  CHECK_EQ(KR_ABI_VERSION, 2);
  CHECK_EQ(KR_MAX_CHANNELS, 16);
  CHECK(kr_model_count() >= 3);
  CHECK(kr_model_find("Cluster") >= 0);
  CHECK(kr_model_find("Node") >= 0);
  CHECK(kr_model_find("Deployment") >= 0);
  CHECK_EQ(kr_model_find("NoSuchModule"), -1);
  CHECK_EQ(kr_model_find(""), -1);
  CHECK_EQ(kr_model_find(NULL), -1);
}

static void test_enumeration(void) {
  uint32_t model;
  uint32_t count = kr_model_count();
  for (model = 0; model < count; model++) {
    KrModelInfo info;
    uint32_t i;
    float width;
    CHECK_EQ(kr_model_info(model, &info), KR_OK);
    CHECK(nonempty(info.slug) && nonempty(info.name) && nonempty(info.description));
    CHECK(info.tags != NULL);
    CHECK(info.role <= 1);
    CHECK(info.hp > 0);
    CHECK_EQ(kr_model_find(info.slug), model);
    width = (float)info.hp * HP_MM;
    printf("model %u: %s (%s), %u HP, %s, %u params, %u inputs, %u outputs, %u lights\n",
           (unsigned)model, info.slug, info.name, (unsigned)info.hp,
           info.role == 0 ? "hub" : "member", (unsigned)info.num_params,
           (unsigned)info.num_inputs, (unsigned)info.num_outputs, (unsigned)info.num_lights);

    for (i = 0; i < info.num_params; i++) {
      KrParamInfo p;
      uint32_t k;
      int labels_ok = 1;
      CHECK_EQ(kr_model_param(model, i, &p), KR_OK);
      CHECK(nonempty(p.id) && nonempty(p.name) && p.description && p.unit);
      CHECK(p.min <= p.default_value && p.default_value <= p.max);
      CHECK(p.kind <= 2 && p.snap <= 1);
      CHECK((p.num_labels == 0) == (p.labels == NULL));
      for (k = 0; k < p.num_labels; k++) {
        labels_ok = labels_ok && nonempty(p.labels[k]);
      }
      CHECK(labels_ok);
      CHECK(p.x_mm >= 0.0f && p.x_mm <= width && p.y_mm >= 0.0f && p.y_mm <= PANEL_HEIGHT_MM);
    }
    for (i = 0; i < info.num_inputs + info.num_outputs; i++) {
      KrPortInfo p;
      int is_input = i < info.num_inputs;
      uint32_t index = is_input ? i : i - info.num_inputs;
      CHECK_EQ(is_input ? kr_model_input(model, index, &p) : kr_model_output(model, index, &p),
               KR_OK);
      CHECK(nonempty(p.id) && nonempty(p.name) && p.description && p.scale);
      CHECK(p.signal_kind <= 5);
      CHECK(p.max_channels >= 1 && p.max_channels <= KR_MAX_CHANNELS);
      CHECK(p.x_mm >= 0.0f && p.x_mm <= width && p.y_mm >= 0.0f && p.y_mm <= PANEL_HEIGHT_MM);
    }
    for (i = 0; i < info.num_lights; i++) {
      KrLightInfo l;
      CHECK_EQ(kr_model_light(model, i, &l), KR_OK);
      CHECK(nonempty(l.id) && nonempty(l.name) && l.description);
      CHECK(l.color <= 3);
      CHECK(l.x_mm >= 0.0f && l.x_mm <= width && l.y_mm >= 0.0f && l.y_mm <= PANEL_HEIGHT_MM);
    }
    for (i = 0; i < info.num_settings; i++) {
      KrSettingInfo s;
      uint32_t k;
      int choices_ok = 1;
      CHECK_EQ(kr_model_setting(model, i, &s), KR_OK);
      CHECK(nonempty(s.key) && nonempty(s.group) && nonempty(s.name) && s.description);
      if (s.num_choices == 0) {
        /* A one-line text setting: empty text is accepted, a broken label refused. */
        char* refused = kr_model_check_setting(model, i, "");
        CHECK(refused == NULL);
        refused = kr_model_check_setting(model, i, "-bad-=,(");
        CHECK(refused != NULL && refused[0] != '\0');
        kr_string_free(refused);
        continue;
      }
      CHECK(s.num_choices >= 1 && s.default_choice < s.num_choices);
      CHECK(s.choice_labels != NULL && s.choice_values != NULL);
      for (k = 0; k < s.num_choices; k++) {
        choices_ok = choices_ok && nonempty(s.choice_labels[k]) && nonempty(s.choice_values[k]);
      }
      CHECK(choices_ok);
    }
    /* One past the end of every table, and far past it. */
    {
      KrParamInfo p;
      KrPortInfo port;
      KrLightInfo l;
      CHECK_EQ(kr_model_param(model, info.num_params, &p), KR_ERR_RANGE);
      CHECK_EQ(kr_model_input(model, info.num_inputs, &port), KR_ERR_RANGE);
      CHECK_EQ(kr_model_output(model, info.num_outputs, &port), KR_ERR_RANGE);
      CHECK_EQ(kr_model_light(model, info.num_lights, &l), KR_ERR_RANGE);
      {
        KrSettingInfo s;
        CHECK_EQ(kr_model_setting(model, info.num_settings, &s), KR_ERR_RANGE);
      }
      CHECK_EQ(kr_model_param(model, UINT32_MAX, &p), KR_ERR_RANGE);
    }
  }
}

static void test_descriptor_errors(void) {
  uint32_t n = kr_model_count();
  KrModelInfo info;
  KrParamInfo p;
  KrPortInfo port;
  KrLightInfo l;
  CHECK_EQ(kr_model_info(n, &info), KR_ERR_RANGE);
  CHECK_EQ(kr_model_info(UINT32_MAX, &info), KR_ERR_RANGE);
  CHECK_EQ(kr_model_info(0, NULL), KR_ERR_NULL);
  CHECK_EQ(kr_model_param(n, 0, &p), KR_ERR_RANGE);
  CHECK_EQ(kr_model_param(0, 0, NULL), KR_ERR_NULL);
  CHECK_EQ(kr_model_input(n, 0, &port), KR_ERR_RANGE);
  CHECK_EQ(kr_model_input(0, 0, NULL), KR_ERR_NULL);
  CHECK_EQ(kr_model_output(n, 0, &port), KR_ERR_RANGE);
  CHECK_EQ(kr_model_output(0, 0, NULL), KR_ERR_NULL);
  CHECK_EQ(kr_model_light(n, 0, &l), KR_ERR_RANGE);
  CHECK_EQ(kr_model_light(0, 0, NULL), KR_ERR_NULL);
  CHECK(kr_module_create(n) == NULL);
  CHECK(kr_module_create(UINT32_MAX) == NULL);
}

static void test_null_handles(void) {
  KrProcessArgs args;
  char buf[16];
  memset(&args, 0, sizeof args);
  kr_module_free(NULL);
  kr_string_free(NULL);
  CHECK_EQ(kr_module_set_sample_rate(NULL, SAMPLE_RATE), KR_ERR_NULL);
  CHECK_EQ(kr_module_process(NULL, &args), KR_ERR_NULL);
  CHECK_EQ(kr_module_process(NULL, NULL), KR_ERR_NULL);
  CHECK_EQ(kr_module_reset(NULL), KR_ERR_NULL);
  CHECK_EQ(kr_module_set_seed(NULL, 1), KR_ERR_NULL);
  CHECK(kr_module_save_json(NULL) == NULL);
  CHECK_EQ(kr_module_load_json(NULL, "{}"), KR_ERR_NULL);
  CHECK_EQ(kr_module_is_faulted(NULL), KR_ERR_NULL);
  CHECK_EQ(kr_module_last_error(NULL, buf, sizeof buf), KR_ERR_NULL);
}

static void test_bad_calls_on_a_live_module(void) {
  Rig r;
  KrProcessArgs a;
  char buf[64];
  if (!rig_open(&r, "Deployment")) {
    return;
  }
  /* Sample rates. */
  CHECK_EQ(kr_module_set_sample_rate(r.m, 0.0f), KR_ERR_INVALID);
  CHECK_EQ(kr_module_set_sample_rate(r.m, -48000.0f), KR_ERR_INVALID);
  CHECK_EQ(kr_module_set_sample_rate(r.m, NAN), KR_ERR_INVALID);
  CHECK_EQ(kr_module_set_sample_rate(r.m, INFINITY), KR_ERR_INVALID);
  CHECK_EQ(kr_module_set_sample_rate(r.m, -INFINITY), KR_ERR_INVALID);
  CHECK_EQ(kr_module_set_sample_rate(r.m, SAMPLE_RATE), KR_OK);

  /* NULL args and buffers. */
  CHECK_EQ(kr_module_process(r.m, NULL), KR_ERR_NULL);
  a = r.args;
  a.params = NULL;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_NULL);
  a = r.args;
  a.inputs = NULL;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_NULL);
  a = r.args;
  a.input_channels = NULL;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_NULL);
  a = r.args;
  a.outputs = NULL;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_NULL);
  a = r.args;
  a.output_channels = NULL;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_NULL);
  a = r.args;
  a.lights = NULL;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_NULL);

  /* Counts that differ from the model's. */
  a = r.args;
  a.num_params++;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_RANGE);
  a = r.args;
  a.num_inputs--;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_RANGE);
  a = r.args;
  a.num_outputs = 0;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_RANGE);
  a = r.args;
  a.num_lights = UINT32_MAX;
  CHECK_EQ(kr_module_process(r.m, &a), KR_ERR_RANGE);
  CHECK_EQ(rig_process(&r), KR_OK);

  /* Strings and buffers. */
  CHECK_EQ(kr_module_load_json(r.m, NULL), KR_ERR_NULL);
  CHECK_EQ(kr_module_last_error(r.m, NULL, 0), 0);
  CHECK_EQ(kr_module_last_error(r.m, NULL, sizeof buf), KR_ERR_NULL);
  buf[0] = 'x';
  CHECK_EQ(kr_module_last_error(r.m, buf, sizeof buf), 0);
  CHECK_EQ(buf[0], '\0');
  CHECK_EQ(kr_module_is_faulted(r.m), 0);
  CHECK_EQ(kr_module_set_seed(r.m, 12345u), KR_OK);
  CHECK_EQ(kr_module_reset(r.m), KR_OK);
  rig_close(&r);
}

/* NaN, infinities and absurd values on every param and input, and channel counts above
 * 16: every model must keep answering KR_OK with clean outputs and must not fault. */
static void test_hostile_voltages(void) {
  static const float hostile[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 0.0f, 5.0f};
  const size_t kinds = sizeof hostile / sizeof hostile[0];
  uint32_t model;
  for (model = 0; model < kr_model_count(); model++) {
    KrModelInfo info;
    Rig r;
    int n;
    int rc_ok = 1;
    int clean = 1;
    uint32_t i;
    kr_model_info(model, &info);
    if (!rig_open(&r, info.slug)) {
      continue;
    }
    for (n = 0; n < 4000; n++) {
      float v = hostile[(size_t)n % kinds];
      for (i = 0; i < info.num_params; i++) {
        r.params[i] = v;
      }
      for (i = 0; i < info.num_inputs * KR_MAX_CHANNELS; i++) {
        r.inputs[i] = hostile[((size_t)n + i) % kinds];
      }
      for (i = 0; i < info.num_inputs; i++) {
        r.input_channels[i] = (uint8_t)(n % 2 ? 255 : 17);
      }
      rc_ok = rc_ok && rig_process(&r) == KR_OK;
      clean = clean && outputs_clean(&r);
    }
    CHECK(rc_ok);
    CHECK(clean);
    CHECK_EQ(kr_module_is_faulted(r.m), 0);
    rig_close(&r);
  }
}

/* The real thing: a CLUSTER hub, a NODE pool and a DEPLOYMENT, the hub's API output
 * patched into both members' API inputs, run for SECONDS simulated seconds. */
static void test_cluster_scenario(void) {
  Rig cluster, node, deployment;
  int api_out, node_api, dep_api, bind_out, ready_out, util_out, available_light, replicas;
  long n;
  const long samples = (long)(SECONDS * SAMPLE_RATE);
  int rc_ok = 1, clean = 1, bind_high = 0;
  long bind_triggers = 0;
  float max_util = 0.0f, api_volts = 0.0f, ready = 0.0f, util = 0.0f;

  if (!rig_open(&cluster, "Cluster") || !rig_open(&node, "Node") ||
      !rig_open(&deployment, "Deployment")) {
    return;
  }
  api_out = find_port(cluster.model, OUTPUT, "API");
  bind_out = find_port(cluster.model, OUTPUT, "BIND");
  node_api = find_port(node.model, INPUT, "API");
  util_out = find_port(node.model, OUTPUT, "UTIL");
  dep_api = find_port(deployment.model, INPUT, "API");
  ready_out = find_port(deployment.model, OUTPUT, "READY");
  available_light = find_light(deployment.model, "AVAILABLE");
  replicas = find_param(deployment.model, "REPLICAS");
  CHECK(api_out >= 0 && bind_out >= 0 && node_api >= 0 && util_out >= 0);
  CHECK(dep_api >= 0 && ready_out >= 0 && available_light >= 0 && replicas >= 0);
  if (api_out < 0 || bind_out < 0 || node_api < 0 || util_out < 0 || dep_api < 0 ||
      ready_out < 0 || available_light < 0 || replicas < 0) {
    return;
  }
  CHECK(deployment.params[replicas] == 3.0f);
  CHECK_EQ(kr_module_set_seed(cluster.m, 7), KR_OK);

  for (n = 0; n < samples; n++) {
    const float *api;
    uint8_t api_channels;
    float bind;
    rc_ok = rc_ok && rig_process(&cluster) == KR_OK;
    /* The cable: hub API output -> member API inputs, all 16 channels and the count. */
    api = &cluster.outputs[api_out * KR_MAX_CHANNELS];
    api_channels = cluster.output_channels[api_out];
    memcpy(&node.inputs[node_api * KR_MAX_CHANNELS], api, KR_MAX_CHANNELS * sizeof(float));
    node.input_channels[node_api] = api_channels;
    memcpy(&deployment.inputs[dep_api * KR_MAX_CHANNELS], api, KR_MAX_CHANNELS * sizeof(float));
    deployment.input_channels[dep_api] = api_channels;
    rc_ok = rc_ok && rig_process(&node) == KR_OK;
    rc_ok = rc_ok && rig_process(&deployment) == KR_OK;
    if (n % 800 == 0) {
      /* A display reads the snapshot about 60 times a second; each read asks the hub for
       * the next one (a hub nobody reads takes none). */
      KrClusterView frame;
      rc_ok = rc_ok && kr_cluster_view(cluster.m, &frame) == KR_OK;
    }
    if ((n & 255) == 0) {
      clean = clean && outputs_clean(&cluster) && outputs_clean(&node) &&
              outputs_clean(&deployment);
    }

    bind = cluster.outputs[bind_out * KR_MAX_CHANNELS];
    if (!bind_high && bind >= 1.0f) {
      bind_triggers++;
    }
    bind_high = bind >= 1.0f ? 1 : bind <= 0.1f ? 0 : bind_high;
    util = node.outputs[util_out * KR_MAX_CHANNELS];
    if (util > max_util) {
      max_util = util;
    }
  }
  api_volts = cluster.outputs[api_out * KR_MAX_CHANNELS];
  ready = deployment.outputs[ready_out * KR_MAX_CHANNELS];
  printf("scenario: %ld samples, API %.6f V (tag %.1f), %ld BIND triggers, READY %.4f V "
         "(%.2f pods), node UTIL %.3f V (max %.3f V)\n",
         samples, (double)api_volts, (double)api_volts * 512.0, bind_triggers, (double)ready,
         (double)ready * 12.0, (double)util, (double)max_util);

  CHECK(rc_ok);
  CHECK(clean);
  CHECK(api_volts > 0.0f && api_volts <= 10.0f);
  CHECK(cluster.output_channels[api_out] >= 1);
  CHECK(api_volts * 512.0f == floorf(api_volts * 512.0f)); /* an exact tag */
  CHECK(bind_triggers >= 3);
  CHECK(fabsf(ready - 3.0f / 12.0f) < 1e-3f);
  CHECK(deployment.lights[available_light] > 0.5f);
  CHECK(util > 0.0f);
  CHECK(max_util > 0.0f);
  CHECK_EQ(kr_module_is_faulted(cluster.m), 0);
  CHECK_EQ(kr_module_is_faulted(node.m), 0);
  CHECK_EQ(kr_module_is_faulted(deployment.m), 0);

  /* The display snapshot (the one the last frame asked for, at most two frames old): one
   * node holding the three Ready pods. */
  {
    KrClusterView view;
    uint32_t p, ready_pods = 0;
    memset(&view, 0xAB, sizeof view);
    CHECK_EQ(kr_cluster_view(cluster.m, &view), KR_OK);
    CHECK_EQ(view.num_nodes, 1);
    CHECK_EQ(view.node_num_pods[0], 3);
    CHECK_EQ(view.node_ready[0], 1);
    CHECK_EQ(view.pending, 0);
    CHECK(view.revision > 0 && view.time_s > 9.0);
    for (p = 0; p < 3; p++) {
      ready_pods += view.pod_state[0][p] == KR_POD_READY;
    }
    CHECK_EQ(ready_pods, 3);
    CHECK_EQ(kr_cluster_view(node.m, &view), KR_ERR_INVALID);
    CHECK_EQ(kr_cluster_view(NULL, &view), KR_ERR_NULL);
    CHECK_EQ(kr_cluster_view(cluster.m, NULL), KR_ERR_NULL);
    /* Status lines: only the AUTOSCALER has one; a module without reads "". */
    {
      float sx = 0.f, sy = 0.f;
      int32_t autoscaler = kr_model_find("Autoscaler");
      CHECK(autoscaler >= 0);
      CHECK_EQ(kr_model_status_pos((uint32_t) autoscaler, &sx, &sy), KR_OK);
      CHECK(sx > 0.f && sy > 0.f);
      CHECK_EQ(kr_model_status_pos(0, &sx, &sy), KR_ERR_RANGE);
      CHECK_EQ(kr_model_status_pos((uint32_t) autoscaler, NULL, &sy), KR_ERR_NULL);
      CHECK(kr_module_status(NULL) == NULL);
      CHECK(kr_module_status(node.m) != NULL && kr_module_status(node.m)[0] == '\0');
    }
  }

  rig_close(&deployment);
  rig_close(&node);
  rig_close(&cluster);
}

/* Save, load into a fresh module, save again: the same text. Corrupt text is rejected with
 * KR_ERR_JSON and changes nothing. */
static void test_json(void) {
  static const char *const corrupt[] = {"", "{", "not json", "[1, 2", "{\"a\":}",
                                        "\xff\xfe{}"};
  static const char *const misfit[] = {"42", "\"text\"", "true"};
  uint32_t model;
  for (model = 0; model < kr_model_count(); model++) {
    KrModule *a = kr_module_create(model);
    KrModule *b = kr_module_create(model);
    char *saved_a, *saved_b, *saved_again;
    char why[256];
    size_t k;
    CHECK(a != NULL && b != NULL);
    if (!a || !b) {
      kr_module_free(a);
      kr_module_free(b);
      continue;
    }
    CHECK_EQ(kr_module_set_seed(a, 99), KR_OK);
    saved_a = kr_module_save_json(a);
    CHECK(saved_a != NULL);
    if (saved_a) {
      CHECK_EQ(kr_module_load_json(b, saved_a), KR_OK);
      saved_b = kr_module_save_json(b);
      CHECK(saved_b != NULL && strcmp(saved_a, saved_b) == 0);
      for (k = 0; k < sizeof corrupt / sizeof corrupt[0]; k++) {
        int32_t len;
        CHECK_EQ(kr_module_load_json(b, corrupt[k]), KR_ERR_JSON);
        len = kr_module_last_error(b, why, sizeof why);
        CHECK(len > 0 && strlen(why) > 0);
        CHECK_EQ(kr_module_is_faulted(b), 0);
      }
      saved_again = kr_module_save_json(b);
      CHECK(saved_again != NULL && saved_b != NULL && strcmp(saved_again, saved_b) == 0);
      /* Valid JSON that is no module's settings: rejected, the module keeps defaults. */
      for (k = 0; k < sizeof misfit / sizeof misfit[0]; k++) {
        CHECK_EQ(kr_module_load_json(b, misfit[k]), KR_ERR_JSON);
        CHECK(kr_module_last_error(b, why, sizeof why) > 0);
        CHECK_EQ(kr_module_is_faulted(b), 0);
      }
      CHECK_EQ(kr_module_load_json(b, saved_a), KR_OK);
      CHECK_EQ(kr_module_last_error(b, why, sizeof why), 0);
      kr_string_free(saved_again);
      kr_string_free(saved_b);
      kr_string_free(saved_a);
    }
    kr_module_free(a);
    kr_module_free(b);
  }
}

int main(void) {
  test_version_and_models();
  test_enumeration();
  test_descriptor_errors();
  test_null_handles();
  test_bad_calls_on_a_live_module();
  test_hostile_voltages();
  test_json();
  test_cluster_scenario();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
