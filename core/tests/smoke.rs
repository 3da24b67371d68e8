mod common;

use ruvsim_core::{synthetic_model, AttentionPattern, Precision};

#[test]
fn every_precision_runs() {
    for precision in Precision::ALL {
        let config = common::tiny_config(precision, AttentionPattern::Full);
        let bytes = synthetic_model(&config, 1).expect("encode");
        let logits = common::logits_for(&bytes, &[1, 2, 3, 4, 5, 6]);
        let v = logits.last().unwrap().to_f64();
        println!("{precision:?}: {:?}", &v[..6]);
    }
}
