//! Cache warming (`CACHE_WARM_*`, `POPULARITY_SAMPLE_ONE_IN`).

use super::reader::Reader;
use crate::usecases::warming::WarmSettings;

pub(super) fn warming(r: &mut Reader) -> WarmSettings {
    let warm = WarmSettings::default();

    WarmSettings {
        on_start: r.parsed("CACHE_WARM_ON_START", warm.on_start, "true or false"),
        top_n: r.count("CACHE_WARM_TOP_N", warm.top_n as u64, 0, 100_000) as usize,
        readiness_bound: r.millis(
            "CACHE_WARM_TIMEOUT_MS",
            warm.readiness_bound.as_millis() as u64,
            0,
            600_000,
        ),
        sample_one_in: r.count(
            "POPULARITY_SAMPLE_ONE_IN",
            u64::from(warm.sample_one_in),
            1,
            1_000_000,
        ) as u32,
    }
}
