//! The stand-in's HTTP/1.1 handling and routes.

use super::{Recorded, Shared, MAX_REQUESTS, WATCH_HOLD};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut workers = Vec::new();
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                let s = shared.clone();
                workers.push(std::thread::spawn(move || serve(stream, s)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    for w in workers {
        let _ = w.join();
    }
}

struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    content_type: String,
    body: String,
}

fn read_request(reader: &mut BufReader<TcpStream>, shared: &Shared) -> Option<Request> {
    let mut line = String::new();
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => break,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if shared.stopped() {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut length = 0;
    let mut content_type = String::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().ok()?,
            "content-type" => content_type = v.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, qs) = target.split_once('?').unwrap_or((&target, ""));
    let query = qs
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), decode(v)))
        .collect();
    Some(Request {
        method,
        path: path.to_owned(),
        query,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader, &shared) {
        // A stopped stand-in answers nothing more, even to a client that keeps asking (a
        // sync thread left running by a failed test), so that dropping it never hangs.
        if shared.stopped() {
            return;
        }
        let recorded = Recorded {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            content_type: req.content_type.clone(),
            body: req.body.clone(),
            at: Instant::now(),
        };
        let record = |r: Recorded| shared.store.lock().unwrap().log.push(r);
        let (stall, served) = {
            let store = shared.store.lock().unwrap();
            (store.faults.stall, store.log.len() + 1)
        };
        if served > MAX_REQUESTS {
            return;
        }
        let is_watch = req
            .query
            .get("watch")
            .is_some_and(|w| w == "true" || w == "1");
        if stall {
            record(recorded);
            while !shared.stopped() {
                std::thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        if is_watch {
            record(recorded);
            if watch(&mut out, &req, &shared).is_err() {
                return;
            }
            continue;
        }
        // Logged once handled: a test that saw the request in the log finds its effect.
        let (code, body) = route(&req, &shared);
        record(recorded);
        let text = body.to_string();
        let head = format!(
            "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            text.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(text.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}

/// (resource, namespace, name) from a path, for the resources the stand-in serves.
fn parse(path: &str) -> Option<(String, String, Option<String>)> {
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    match p.as_slice() {
        ["api", "v1", "namespaces", ns] => {
            Some(("namespaces".into(), String::new(), Some(ns.to_string())))
        }
        ["api", "v1", "nodes"] => Some(("nodes".into(), String::new(), None)),
        ["api", "v1", "nodes", n] => Some(("nodes".into(), String::new(), Some(n.to_string()))),
        ["api", "v1", "namespaces", ns, r] => Some((r.to_string(), ns.to_string(), None)),
        ["api", "v1", "namespaces", ns, r, n] => {
            Some((r.to_string(), ns.to_string(), Some(n.to_string())))
        }
        ["apis", _, _, "namespaces", ns, r] => Some((r.to_string(), ns.to_string(), None)),
        ["apis", _, _, "namespaces", ns, r, n] => {
            Some((r.to_string(), ns.to_string(), Some(n.to_string())))
        }
        // Cluster-scoped resources of a group (Kueue's ClusterQueues, ResourceFlavors, ...).
        ["apis", _, _, r] => Some((r.to_string(), String::new(), None)),
        ["apis", _, _, r, n] => Some((r.to_string(), String::new(), Some(n.to_string()))),
        _ => None,
    }
}

fn verb(req: &Request, name: &Option<String>) -> &'static str {
    match (req.method.as_str(), name) {
        ("GET", Some(_)) => "get",
        ("GET", None) if req.query.contains_key("watch") => "watch",
        ("GET", None) => "list",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        ("POST", _) => "create",
        _ => "other",
    }
}

fn denied(req: &Request, shared: &Shared) -> Option<(u16, Value)> {
    let faults = shared.store.lock().unwrap().faults.clone();
    let (code, filter) = faults.deny?;
    let (resource, ns, name) = parse(&req.path).unwrap_or_default();
    let verb = verb(req, &name);
    if !filter.is_empty() && filter != format!("{verb} {resource}") {
        return None;
    }
    Some(if code == 401 {
        status(401, "Unauthorized", "Unauthorized")
    } else {
        status(
            403,
            "Forbidden",
            &format!("{resource} is forbidden: User \"test\" cannot {verb} resource \"{resource}\" in the namespace \"{ns}\""),
        )
    })
}

fn route(req: &Request, shared: &Shared) -> (u16, Value) {
    if let Some(refusal) = denied(req, shared) {
        return refusal;
    }
    match req.path.as_str() {
        "/api" => {
            return (
                200,
                json!({"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
            )
        }
        "/apis" => {
            let mut groups = vec![group("apps", "v1"), group("batch", "v1")];
            if shared.store.lock().unwrap().faults.kueue {
                groups.push(group("kueue.x-k8s.io", "v1beta1"));
            }
            return (
                200,
                json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            );
        }
        _ => {}
    }
    let Some((resource, ns, name)) = parse(&req.path) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    match (req.method.as_str(), name) {
        ("GET", Some(name)) => {
            match shared
                .store
                .lock()
                .unwrap()
                .objects
                .get(&(resource.clone(), ns, name.clone()))
            {
                Some(o) => (200, o.clone()),
                None => status(404, "NotFound", &format!("{resource} \"{name}\" not found")),
            }
        }
        ("GET", None) => list(&resource, &ns, req, shared),
        ("PATCH", Some(name)) => apply(&resource, &ns, &name, req, shared),
        ("DELETE", Some(name)) => match shared.delete(&resource, &ns, &name) {
            Some(_) => (
                200,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200}),
            ),
            None => status(404, "NotFound", &format!("{resource} \"{name}\" not found")),
        },
        _ => status(405, "MethodNotAllowed", "not served by the stand-in"),
    }
}

fn group(name: &str, version: &str) -> Value {
    let gv = format!("{name}/{version}");
    json!({"name": name, "versions": [{"groupVersion": gv, "version": version}],
           "preferredVersion": {"groupVersion": gv, "version": version}})
}

/// Equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k` (exists), `!k`.
fn matches(obj: &Value, selector: Option<&String>) -> bool {
    let Some(sel) = selector else { return true };
    let label = |k: &str| {
        obj["metadata"]["labels"][k.trim()]
            .as_str()
            .map(str::to_owned)
    };
    sel.split(',').filter(|s| !s.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            label(k).as_deref() != Some(v.trim())
        } else if let Some((k, v)) = term.split_once('=') {
            let v = v.trim_start_matches('=');
            label(k).as_deref() == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            label(k).is_none()
        } else {
            label(term).is_some()
        }
    })
}

fn list(resource: &str, ns: &str, req: &Request, shared: &Shared) -> (u16, Value) {
    let store = shared.store.lock().unwrap();
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((r, n, _), o)| {
            r == resource && n == ns && matches(o, req.query.get("labelSelector"))
        })
        .map(|(_, o)| o.clone())
        .collect();
    (
        200,
        json!({"kind": "List", "apiVersion": "v1",
                 "metadata": {"resourceVersion": store.rv.to_string()}, "items": items}),
    )
}

fn apply(resource: &str, ns: &str, name: &str, req: &Request, shared: &Shared) -> (u16, Value) {
    if req.content_type == "application/merge-patch+json" {
        return merge_patch(resource, ns, name, req, shared);
    }
    if req.content_type != "application/apply-patch+yaml" {
        return status(
            415,
            "UnsupportedMediaType",
            "the stand-in serves only server-side apply and JSON merge patches",
        );
    }
    if !req.query.contains_key("fieldManager") {
        return status(
            400,
            "BadRequest",
            "fieldManager is required for apply requests",
        );
    }
    {
        let mut store = shared.store.lock().unwrap();
        if store.faults.conflicts > 0 && resource != "namespaces" {
            store.faults.conflicts -= 1;
            return status(
                409,
                "Conflict",
                "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas",
            );
        }
    }
    // JSON is YAML: the sync thread sends JSON bodies.
    let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
        return status(400, "BadRequest", "body is not JSON");
    };
    if body["metadata"]["name"].as_str() != Some(name) {
        return status(
            400,
            "BadRequest",
            "the name in the body does not match the URL",
        );
    }
    (200, shared.upsert(resource, ns, name, body))
}

/// A JSON merge patch (RFC 7386) of an existing object.
fn merge_patch(
    resource: &str,
    ns: &str,
    name: &str,
    req: &Request,
    shared: &Shared,
) -> (u16, Value) {
    let Ok(patch) = serde_json::from_str::<Value>(&req.body) else {
        return status(400, "BadRequest", "body is not JSON");
    };
    let existing = shared
        .store
        .lock()
        .unwrap()
        .objects
        .get(&(resource.to_owned(), ns.to_owned(), name.to_owned()))
        .cloned();
    let Some(mut object) = existing else {
        return status(404, "NotFound", &format!("{resource} \"{name}\" not found"));
    };
    merge(&mut object, &patch);
    (200, shared.upsert(resource, ns, name, object))
}

/// RFC 7386: objects merge key by key, null removes a key, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    let Some(fields) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    for (k, v) in fields {
        if v.is_null() {
            target.as_object_mut().unwrap().remove(k);
        } else {
            merge(&mut target[k.as_str()], v);
        }
    }
}

fn watch(out: &mut TcpStream, req: &Request, shared: &Shared) -> std::io::Result<()> {
    let (resource, ns, _) = parse(&req.path).unwrap_or_default();
    out.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    let mut chunk = |v: &Value| -> std::io::Result<()> {
        let line = format!("{v}\n");
        out.write_all(format!("{:x}\r\n{line}\r\n", line.len()).as_bytes())?;
        out.flush()
    };
    let gone = {
        let mut store = shared.store.lock().unwrap();
        let g = store.faults.gone_watches > 0;
        if g {
            store.faults.gone_watches -= 1;
        }
        g
    };
    if gone {
        chunk(
            &json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "too old resource version", "reason": "Expired", "code": 410}}),
        )?;
    } else {
        let mut since: u64 = req
            .query
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let deadline = Instant::now() + WATCH_HOLD;
        let mut store = shared.store.lock().unwrap();
        while Instant::now() < deadline && !shared.stopped() {
            let batch: Vec<(u64, &'static str, Value)> = store
                .events
                .iter()
                .filter(|(rv, r, n, _, o)| {
                    *rv > since
                        && *r == resource
                        && *n == ns
                        && matches(o, req.query.get("labelSelector"))
                })
                .map(|(rv, _, _, t, o)| (*rv, *t, o.clone()))
                .collect();
            if batch.is_empty() {
                store = shared
                    .changed
                    .wait_timeout(store, Duration::from_millis(50))
                    .unwrap()
                    .0;
                continue;
            }
            drop(store);
            for (rv, ty, obj) in batch {
                since = rv;
                chunk(&json!({"type": ty, "object": obj}))?;
            }
            store = shared.store.lock().unwrap();
        }
    }
    out.write_all(b"0\r\n\r\n")?;
    out.flush()
}
