package dev.mcpratelimit.testing;

import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.spi.LimiterStore;

/**
 * The store correctness suite, written once and run unchanged against every {@link LimiterStore}
 * (the in-memory store, Redis, …) through a real {@link RateLimiter}.
 *
 * <p>A subclass supplies a fresh store per test with {@link #newStore(FakeClock)}. Everything
 * runs against that store; only the store-failure cases wrap it in a store whose
 * {@code acquire} throws.
 *
 * <p>Time. The engine and the store both run on a {@link FakeClock}: every store the project
 * ships takes its time from the injected clock when asked to (Redis and the JDBC stores through
 * their builders' {@code clock}), so every case runs on every store. {@link #advance} moves the
 * clock (override it if the store keeps its own time and can be moved too). What a store's own
 * time source does (Redis {@code TIME}) is tested in that store's module.
 *
 * <p>What a store must support besides {@link LimiterStore#acquire}: a cost of 0 peeks (is always
 * granted, changes nothing, reports the remaining cost); the suite reads counters that way.
 *
 * <p>Cases by topic, one file each, chained so that a store test extends this one class and runs
 * every case: {@link StackingContract}, {@link AtomicityContract}, {@link RefundContract},
 * {@link ShadowModeContract}, {@link MissingIdentityContract}, {@link KeyCollisionContract},
 * {@link CostContract}, {@link ConditionContract}, {@link PolicyDenialContract},
 * {@link BackoffContract}, {@link WaitingContract}, {@link FailureContract},
 * {@link DenialFieldsContract}, {@link HostileInputContract}; fields, lifecycle and helpers in
 * {@link StoreContractBase}.
 *
 * <p>The key-collision property runs under jqwik, outside JUnit's lifecycle ({@code @BeforeAll},
 * {@code @BeforeEach} do not run for it) and calls {@link #newStore} itself: a subclass that needs
 * a server should start it lazily (a static holder), not only in {@code @BeforeAll}.
 */
public abstract class StoreContract extends HostileInputContract {
}
