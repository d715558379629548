"""Grafting parameter subtrees of one trained model into a freshly initialised one: how an
encoder starts from a trained discriminator.

Paths are '/'-joined keys of nested dicts ('params/Downsample_1'); a path names a leaf or a
whole subtree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
from flax import traverse_util

from hwr_jax.errors import ConfigError

SEP = '/'


@dataclasses.dataclass(frozen=True)
class GraftReport:
  """The target leaves that were copied (with the source leaf each came from) and those left
  as initialised."""

  copied: dict[str, str]
  fresh: tuple[str, ...]

  def summary(self) -> str:
    return (f'grafted {len(self.copied)} arrays, {len(self.fresh)} left fresh'
            + (f' ({", ".join(self.fresh)})' if self.fresh else ''))


def _under(flat: Mapping[str, Any], path: str) -> dict[str, Any]:
  """The leaves at or below `path`, keyed by their path relative to it ('' for the leaf
  itself)."""
  return {key[len(path):].lstrip(SEP): value for key, value in flat.items()
          if key == path or key.startswith(path + SEP)}


def graft(source: Mapping, target: Mapping, mapping: Mapping[str, str]
          ) -> tuple[dict, GraftReport]:
  """`target` with the subtree of `source` at each mapping value copied in at its key.

  Every mapped pair must hold the same leaves with the same shapes and dtypes; otherwise a
  ConfigError names the paths and what differs. Target leaves outside the mapped paths keep
  their values and are reported fresh.
  """
  flat_source = traverse_util.flatten_dict(source, sep=SEP)
  flat_target = traverse_util.flatten_dict(target, sep=SEP)
  out, copied = dict(flat_target), {}
  for target_path, source_path in mapping.items():
    into, take = _under(flat_target, target_path), _under(flat_source, source_path)
    if not take:
      raise ConfigError(f'graft: the source has nothing at {source_path!r}')
    if not into:
      raise ConfigError(f'graft: the target has nothing at {target_path!r}')
    if into.keys() != take.keys():
      raise ConfigError(
          f'graft: {source_path!r} and {target_path!r} hold different parameters: only in the '
          f'source {sorted(take.keys() - into.keys())}, only in the target '
          f'{sorted(into.keys() - take.keys())}')
    for rest, value in take.items():
      full = SEP.join(p for p in (target_path, rest) if p)
      want = flat_target[full]
      if (value.shape, value.dtype) != (want.shape, want.dtype):
        raise ConfigError(
            f'graft: {SEP.join(p for p in (source_path, rest) if p)} is '
            f'{value.dtype}{list(value.shape)} but {full} needs {want.dtype}{list(want.shape)}')
      out[full] = value
      copied[full] = SEP.join(p for p in (source_path, rest) if p)
  fresh = tuple(sorted(k for k in flat_target if k not in copied))
  return traverse_util.unflatten_dict(out, sep=SEP), GraftReport(copied, fresh)


def shapes(tree: Any) -> Any:
  """The abstract (shape and dtype) tree of `tree`, as partial restores take it."""
  return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), tree)
