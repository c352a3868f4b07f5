//! The event codec alone: decoding stored events (`type`, `schema`, `data` text) into typed
//! events, and encoding them back, on the mix a rebuild reads (one answered inbound call: five
//! call events and four agent events).
//!
//! Run: `cargo bench -p hotline-events --bench codec`. An element is one event.

#![allow(clippy::unwrap_used)] // a benchmark: any failure should abort the run loudly

use criterion::{Criterion, Throughput};
use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, Channel, EndReason, Event, Party, QueueId,
};

fn mix() -> Vec<(&'static str, Event)> {
    let queue = QueueId::new("sales").unwrap();
    let agent = AgentId::generate();
    let call = CallId::generate();
    let c = |e: CallEvent| ("call", Event::Call(e));
    let a = |e: AgentEvent| ("agent", Event::Agent(e));
    vec![
        c(CallEvent::Arrived {
            number: "+18005550100".into(),
            caller: "+15555550123".into(),
            channel: Channel::Voice,
            customer: None,
        }),
        c(CallEvent::Queued {
            queue: queue.clone(),
            priority: 0,
            skills: vec![],
        }),
        c(CallEvent::Offered {
            agent,
            queue: queue.clone(),
            ring_timeout_ms: 15_000,
        }),
        c(CallEvent::Answered {
            agent,
            waited_ms: 2_000,
        }),
        c(CallEvent::Ended {
            by: Party::Caller,
            reason: EndReason::Completed,
        }),
        a(AgentEvent::Reserved { call, queue }),
        a(AgentEvent::Busy { call }),
        a(AgentEvent::WrappingUp {
            call,
            limit_ms: 30_000,
        }),
        a(AgentEvent::WrapUpCompleted {
            call,
            disposition: Some("sale".into()),
            notes: None,
        }),
    ]
}

fn main() {
    let mix = mix();
    let stored: Vec<(&str, String, u16, String)> = mix
        .iter()
        .map(|(category, e)| {
            let enc = e.encode().unwrap();
            (*category, enc.event_type, enc.schema, enc.data)
        })
        .collect();
    for ((category, t, s, d), (_, e)) in stored.iter().zip(&mix) {
        assert_eq!(
            &Event::decode(category, t, *s, d),
            e,
            "{t} must decode to itself"
        );
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(stored.len() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for (category, t, s, d) in &stored {
                std::hint::black_box(Event::decode(category, t, *s, d));
            }
        })
    });
    g.bench_function("encode", |b| {
        b.iter(|| {
            for (_, e) in &mix {
                std::hint::black_box(e.encode().unwrap());
            }
        })
    });
    g.finish();
    c.final_summary();
}
