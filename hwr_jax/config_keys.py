"""Dotted config keys ('train.steps') in nested blocks: ConfigDicts, or the plain dicts a
workdir's config.json reads back as."""

from __future__ import annotations

from typing import Any


class MissingKey(KeyError):
  """`key` has no part `missing`; `block` names where it was looked for and `known` what that
  block has (empty where it is not a block at all)."""

  def __init__(self, key: str, missing: str, block: str, known: list[str]):
    super().__init__(key)
    self.key, self.missing, self.block, self.known = key, missing, block, known

  @property
  def neighbours(self) -> str:
    """What the block that lacks the key has, for the error message."""
    known = ', '.join(self.known) if self.known else '(not a block)'
    return f'{self.block or "the config"} has: {known}'

  def __str__(self) -> str:
    return f'unknown config key {self.key!r}; {self.neighbours}'


def _is_block(node: Any) -> bool:
  return hasattr(node, 'keys') and hasattr(node, '__getitem__')


def lookup(tree: Any, key: str) -> Any:
  """The value at dotted `key`; MissingKey at the first part that is not there."""
  parts = key.split('.')
  node = tree
  for depth, part in enumerate(parts):
    if not _is_block(node) or part not in node:
      raise MissingKey(key, part, '.'.join(parts[:depth]),
                       sorted(node.keys()) if _is_block(node) else [])
    node = node[part]
  return node


def lookup_or_none(tree: Any, key: str) -> Any:
  """The value at dotted `key`, or None where a saved config predates it."""
  try:
    return lookup(tree, key)
  except MissingKey:
    return None


def assign(tree: Any, key: str, value: Any) -> None:
  """Sets the existing dotted `key` to `value` (MissingKey if it does not exist)."""
  parent, _, leaf = key.rpartition('.')
  block = lookup(tree, parent) if parent else tree
  lookup(block, leaf)
  block[leaf] = value
