/**
 * {@code corral-judge}, an online judge built on Corral's public API only: it judges a submission
 * (C, C++, Python 3 or Java) against a problem package in the problemarchive.org format (legacy
 * and 2023-07), or verifies a package's own example submissions.
 *
 * <pre>{@code
 * Problem problem = Problem.load(Path.of("problems/aplusb"));
 * try (Judge judge = new Judge(Sandboxes.fresh(), Runtime.getRuntime().availableProcessors())) {
 *     Judgement j = judge.judge(problem, Path.of("solution.c"), problem.timeLimit().orElseThrow(), line -> {});
 *     j.verdict();   // AC, WA, TLE, MLE, RTE, OLE or CE
 * }
 * }</pre>
 */
package dev.corral.samples.judge;
