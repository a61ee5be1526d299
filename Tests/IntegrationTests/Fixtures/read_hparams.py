#!/usr/bin/env python3
"""Reads a sweep folder as TensorBoard's HParams tab does — the `tensorboard` package's own event
multiplexer, data provider and HParams plugin handlers (get experiment, list session groups) —
and prints what the tab would show as one JSON object.

usage: read_hparams.py SWEEP_DIR
"""
import json
import sys

from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups


def value(v):
    kind = v.WhichOneof("kind")
    return getattr(v, kind) if kind else None


def main():
    logdir = sys.argv[1]
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    backend = backend_context.Context(base_plugin.TBContext(logdir=logdir, multiplexer=multiplexer, data_provider=provider))
    ctx = context.RequestContext()
    experiment = get_experiment.Handler(ctx, backend, "", api_pb2.GetExperimentRequest()).run()
    # Every status, as the tab asks for by default.
    request = api_pb2.ListSessionGroupsRequest(start_index=0, slice_size=1000, allowed_statuses=list(api_pb2.Status.values()))
    groups = list_session_groups.Handler(ctx, backend, "", request).run()
    infos = []
    for info in experiment.hparam_infos:
        domain = info.WhichOneof("domain")
        item = {"name": info.name, "type": api_pb2.DataType.Name(info.type)}
        if domain == "domain_interval":
            item["interval"] = [info.domain_interval.min_value, info.domain_interval.max_value]
        elif domain == "domain_discrete":
            item["values"] = [value(v) for v in info.domain_discrete.values]
        infos.append(item)
    sessions = []
    for group in groups.session_groups:
        for session in group.sessions:
            sessions.append({
                "name": session.name,
                "group": group.name,
                "hparams": {k: value(v) for k, v in group.hparams.items()},
                "status": api_pb2.Status.Name(session.status),
                "metrics": {m.name.tag: m.value for m in session.metric_values},
            })
    print(json.dumps({
        "hparams": infos,
        "metrics": [m.name.tag for m in experiment.metric_infos],
        "sessions": sessions,
        "total_size": groups.total_size,
    }))


if __name__ == "__main__":
    main()
