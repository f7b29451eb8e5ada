//! Fuzzes the option parsing: Rhai values → specs → request bodies.
//! Every input must give a spec or an error message, never a panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use netrig::tools::{
    CONNECT_OPTIONS, INIT_OPTIONS, JOIN_OPTIONS, NETWORK_OPTIONS, RUN_OPTIONS, SERVICE_OPTIONS,
    connect_spec, init_spec, join_spec, network_spec, parse_publish, run_spec, service_spec,
};
use rhai::{Array, Dynamic, Map};

/// A Rhai value, as deep as the fuzzer likes.
#[derive(Arbitrary, Debug)]
enum Value {
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Map(Vec<(Key, Value)>),
}

/// A map key: mostly real option names, sometimes anything.
#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Other(String),
}

fn key(k: &Key) -> String {
    let known: Vec<&str> = RUN_OPTIONS
        .iter()
        .chain(NETWORK_OPTIONS)
        .chain(CONNECT_OPTIONS)
        .chain(SERVICE_OPTIONS)
        .chain(INIT_OPTIONS)
        .chain(JOIN_OPTIONS)
        .copied()
        .collect();
    match k {
        Key::Known(i) => known[*i as usize % known.len()].to_string(),
        Key::Other(s) => s.clone(),
    }
}

fn dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Unit => Dynamic::UNIT,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::Str(s) => s.clone().into(),
        Value::Array(items) => items.iter().map(dynamic).collect::<Array>().into(),
        Value::Map(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                m.insert(key(k).into(), dynamic(v));
            }
            m.into()
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    opts: Value,
    port: String,
}

fuzz_target!(|input: Input| {
    let opts = dynamic(&input.opts);
    if let Ok(spec) = run_spec(&input.name, opts.clone()) {
        let body = spec.to_create_body(Default::default());
        let _ = serde_json::to_string(&body).unwrap();
        let _ = spec.extra_networks("c");
    }
    if let Ok(spec) = network_spec(&input.name, opts.clone()) {
        let _ = serde_json::to_string(&spec.to_request(Default::default())).unwrap();
    }
    if let Ok(spec) = connect_spec(opts.clone()) {
        let _ = serde_json::to_string(&spec.to_request("c")).unwrap();
    }
    if let Ok(spec) = service_spec(&input.name, opts.clone()) {
        let _ = serde_json::to_string(&spec.to_request(Default::default())).unwrap();
    }
    if let Ok(spec) = init_spec(opts.clone()) {
        let _ = serde_json::to_string(&spec.to_request(Default::default())).unwrap();
    }
    if let Ok(spec) = join_spec(opts) {
        let _ = serde_json::to_string(&spec.to_request()).unwrap();
    }
    let _ = parse_publish(&input.port);
});
