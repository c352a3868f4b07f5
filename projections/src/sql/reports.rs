//! The standard reports, as named SQL views over the tables, so an analyst (or a BI tool)
//! gets the trade's usual figures with one `SELECT * FROM <report>` and can read how each
//! is computed with the views' SQL. Durations are in seconds, ratios from 0 to 1.
//!
//! Denominators follow the domain brief and the boards: service level and abandon rate
//! over offered calls minus short abandons; ASA over answered calls; AHT (talk + hold +
//! wrap-up) over handled calls; occupancy over logged-in time that is not "not ready".
//! Agent figures come from the agent's own state intervals (`agent_states`), so a call
//! transferred between agents counts each one's part to each.

/// Each report: its name, what it answers, and its SQL.
pub const REPORTS: [(&str, &str, &str); 8] = [
    (
        "service_level_by_interval",
        "per queue and 15-minute interval: offered, answered, abandoned, service level, ASA, AHT",
        "SELECT queue, day, interval_start,
                offered, answered, abandoned, short_abandons, answered_within_threshold,
                CAST(answered_within_threshold AS DOUBLE)
                    / NULLIF(offered - short_abandons, 0) AS service_level,
                CAST(abandoned AS DOUBLE) / NULLIF(offered - short_abandons, 0) AS abandon_rate,
                answer_wait_ms / 1000.0 / NULLIF(answered, 0) AS asa_s,
                handle_ms / 1000.0 / NULLIF(handled, 0) AS aht_s
         FROM queue_intervals",
    ),
    (
        "queue_summary",
        "per queue and day: the interval figures summed, with the day's ratios",
        "SELECT queue, day,
                SUM(offered) AS offered, SUM(answered) AS answered,
                SUM(abandoned) AS abandoned, SUM(short_abandons) AS short_abandons,
                SUM(answered_within_threshold) AS answered_within_threshold,
                CAST(SUM(answered_within_threshold) AS DOUBLE)
                    / NULLIF(SUM(offered) - SUM(short_abandons), 0) AS service_level,
                CAST(SUM(abandoned) AS DOUBLE)
                    / NULLIF(SUM(offered) - SUM(short_abandons), 0) AS abandon_rate,
                SUM(answer_wait_ms) / 1000.0 / NULLIF(SUM(answered), 0) AS asa_s,
                SUM(handle_ms) / 1000.0 / NULLIF(SUM(handled), 0) AS aht_s,
                SUM(abandon_wait_ms) / 1000.0
                    / NULLIF(SUM(abandoned) + SUM(short_abandons), 0) AS avg_time_to_abandon_s
         FROM queue_intervals
         GROUP BY queue, day",
    ),
    (
        "agent_performance",
        "per agent and day: calls handled, time on calls and in wrap-up, AHT, time by state, occupancy",
        "SELECT agent, day,
                COUNT(DISTINCT CASE WHEN state = 'busy' THEN call END) AS calls,
                SUM(CASE WHEN state = 'busy' THEN duration_ms ELSE 0 END) / 1000.0 AS busy_s,
                SUM(CASE WHEN state = 'wrapping_up' THEN duration_ms ELSE 0 END) / 1000.0
                    AS wrap_s,
                SUM(CASE WHEN state IN ('busy', 'wrapping_up') THEN duration_ms ELSE 0 END)
                    / 1000.0
                    / NULLIF(COUNT(DISTINCT CASE WHEN state = 'busy' THEN call END), 0) AS aht_s,
                SUM(CASE WHEN state = 'available' THEN duration_ms ELSE 0 END) / 1000.0
                    AS available_s,
                SUM(CASE WHEN state = 'not_ready' THEN duration_ms ELSE 0 END) / 1000.0
                    AS not_ready_s,
                SUM(duration_ms) / 1000.0 AS logged_in_s,
                CAST(SUM(CASE WHEN state IN ('reserved', 'busy', 'wrapping_up')
                              THEN duration_ms ELSE 0 END) AS DOUBLE)
                    / NULLIF(SUM(CASE WHEN state <> 'not_ready' THEN duration_ms ELSE 0 END), 0)
                    AS occupancy
         FROM agent_states
         WHERE duration_ms IS NOT NULL
         GROUP BY agent, day",
    ),
    (
        "abandonment_profile",
        "per queue: abandoned calls by how long the caller waited before hanging up",
        "SELECT last_queue AS queue,
                CASE WHEN wait_ms < 5000 THEN '00-05 s'
                     WHEN wait_ms < 10000 THEN '05-10 s'
                     WHEN wait_ms < 20000 THEN '10-20 s'
                     WHEN wait_ms < 30000 THEN '20-30 s'
                     WHEN wait_ms < 60000 THEN '30-60 s'
                     WHEN wait_ms < 120000 THEN '1-2 min'
                     WHEN wait_ms < 300000 THEN '2-5 min'
                     ELSE '5+ min' END AS waited,
                COUNT(*) AS abandoned,
                SUM(CASE WHEN outcome = 'short_abandon' THEN 1 ELSE 0 END) AS short_abandons,
                AVG(wait_ms) / 1000.0 AS avg_wait_s
         FROM calls
         WHERE outcome IN ('abandoned', 'short_abandon')
         GROUP BY 1, 2",
    ),
    (
        "hourly_arrivals",
        "per day, local hour and queue: calls that arrived",
        "SELECT day, arrived_hour AS hour, first_queue AS queue, COUNT(*) AS arrivals,
                SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered
         FROM calls
         WHERE arrived_at IS NOT NULL
         GROUP BY day, arrived_hour, first_queue",
    ),
    (
        "campaign_compliance",
        "per campaign and day (UTC): dialed, answered by a person, abandoned, the abandon rate of the day and of the 30 days to it, dials outside calling hours and to do-not-call numbers (both must be 0)",
        "SELECT campaign, day, dialed, answered_by_person, abandoned,
                CAST(abandoned AS DOUBLE) / NULLIF(answered_by_person, 0) AS abandon_rate,
                CAST(SUM(abandoned) OVER w AS DOUBLE)
                    / NULLIF(SUM(answered_by_person) OVER w, 0) AS abandon_rate_30d,
                outside_hours, dnc_hits
         FROM (SELECT campaign, CAST(dialed_at AS DATE) AS day, COUNT(*) AS dialed,
                      SUM(CASE WHEN outcome IN ('connected', 'abandoned') THEN 1 ELSE 0 END)
                          AS answered_by_person,
                      SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
                      SUM(CASE WHEN outside_hours THEN 1 ELSE 0 END) AS outside_hours,
                      SUM(CASE WHEN on_do_not_call THEN 1 ELSE 0 END) AS dnc_hits
               FROM campaign_attempts
               GROUP BY campaign, CAST(dialed_at AS DATE))
         WINDOW w AS (PARTITION BY campaign ORDER BY day
                      RANGE BETWEEN INTERVAL '29' DAY PRECEDING AND CURRENT ROW)",
    ),
    (
        "csat_by_agent",
        "per agent and day: answers to the survey's CSAT question, how many were 4 or 5, and CSAT (their share)",
        "SELECT agent, day, COUNT(*) AS rated,
                SUM(CASE WHEN answer IN ('4', '5') THEN 1 ELSE 0 END) AS satisfied,
                CAST(SUM(CASE WHEN answer IN ('4', '5') THEN 1 ELSE 0 END) AS DOUBLE)
                    / COUNT(*) AS csat
         FROM surveys WHERE csat GROUP BY agent, day",
    ),
    (
        "csat_by_queue",
        "per queue and day: answers to the survey's CSAT question, how many were 4 or 5, and CSAT (their share)",
        "SELECT queue, day, COUNT(*) AS rated,
                SUM(CASE WHEN answer IN ('4', '5') THEN 1 ELSE 0 END) AS satisfied,
                CAST(SUM(CASE WHEN answer IN ('4', '5') THEN 1 ELSE 0 END) AS DOUBLE)
                    / COUNT(*) AS csat
         FROM surveys WHERE csat GROUP BY queue, day",
    ),
];
