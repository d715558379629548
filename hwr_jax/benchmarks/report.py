"""launch.bench's table: images/s of each config beside its PyTorch eager twin, and the GFLOP/s
of its step beside the machine's peak, measured in the same run."""

from __future__ import annotations


def gflops(flops: float, seconds: float) -> float:
  return flops / seconds / 1e9


def print_table(rows: list[dict], twins: dict[tuple[str, str], dict], peaks: dict[str, dict],
                rounds: int, steps: int) -> None:
  print(f'{"config":36s} {"platform":8s} {"dev":>3s} {"batch":>5s} {"K":>3s} {"img/s":>8s} '
        f'{"PyTorch img/s":>13s} {"ratio":>6s} {"GFLOP/step":>10s} {"GFLOP/s":>8s} '
        f'{"peak":>6s} {"of peak":>7s} {"dtype":>8s} {"compile s":>9s} {"host MB":>8s} '
        f'{"device MB":>9s}')
  for row in rows:
    images_per_second = row['images_per_round'] / row['seconds']
    twin = twins.get((row['config'], row['compute_dtype']))
    versus = f'{"-":>13s} {"-":>6s}'
    if twin:
      twin_images = twin['images_per_round'] / twin['seconds']
      versus = f'{twin_images:13.0f} {images_per_second / twin_images:5.2f}x'
    steps_per_round = row['images_per_round'] / row['batch_size']
    achieved = gflops(row['flops_per_step'] * steps_per_round, row['seconds'])
    peak = peaks.get(row['compute_dtype'])
    peak_gflops = gflops(peak['flops'], peak['seconds']) if peak else float('nan')
    device = f'{row["device_peak_mb"]:9.0f}' if 'device_peak_mb' in row else f'{"-":>9s}'
    print(f'{row["config"]:36s} {row["platform"]:8s} {row["devices"]:3d} '
          f'{row["batch_size"]:5d} {row["steps_per_call"]:3d} {images_per_second:8.0f} '
          f'{versus} {row["flops_per_step"] / 1e9:10.3g} {achieved:8.1f} {peak_gflops:6.0f} '
          f'{achieved / peak_gflops:6.0%} {row["compute_dtype"]:>8s} '
          f'{row["compile_seconds"]:9.1f} {row["host_peak_rss_mb"]:8.0f} {device}')
  for (spec, dtype), twin in twins.items():
    print(f'PyTorch {twin["torch_version"]} eager twin of {spec} ({dtype}) on '
          f'{twin["device"]}: {twin["threads"]} threads, peak host memory '
          f'{twin["host_peak_rss_mb"]:.0f} MB')
  for dtype, peak in peaks.items():
    print(f'peak: {peak["dtype"]} {peak["size"]}x{peak["size"]} matrix product on '
          f'{peak["platform"]}, {gflops(peak["flops"], peak["seconds"]):.0f} GFLOP/s')
  print(f'Each figure is the best of {rounds} rounds of {steps} steps; the rounds of each '
        'config, its PyTorch twin and the peak were taken in turn.')
