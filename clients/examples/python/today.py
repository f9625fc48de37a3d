#!/usr/bin/python3
"""Prints today's session of a kneecoach program.

usage: /usr/bin/python3 today.py PROGRAM [--server=HOST:PORT] [--token=TOKEN]

Stubs are generated at run time from the repository's proto/ into a temporary directory.
"""
import argparse, glob, importlib, os, shutil, subprocess, sys, tempfile

import grpc

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "proto")


def generate(out):
    protos = [os.path.relpath(p, PROTO)
              for p in glob.glob(os.path.join(PROTO, "kneecoach/v1/*.proto"))]
    plugin = shutil.which("grpc_python_plugin")
    if shutil.which("protoc") and plugin:
        # Debian 12: python3-grpc-tools bundles a protoc too old for proto3 `optional`.
        subprocess.run(["protoc", f"-I{PROTO}", f"--python_out={out}", f"--grpc_python_out={out}",
                        f"--plugin=protoc-gen-grpc_python={plugin}"] + protos, check=True)
    else:
        from grpc_tools import protoc
        import pkg_resources
        wkt = pkg_resources.resource_filename("grpc_tools", "_proto")
        if protoc.main(["protoc", f"-I{PROTO}", f"-I{wkt}", f"--python_out={out}",
                        f"--grpc_python_out={out}"] + protos) != 0:
            sys.exit("protoc failed")
    sys.path.insert(0, out)
    return (importlib.import_module("kneecoach.v1.session_pb2"),
            importlib.import_module("kneecoach.v1.session_pb2_grpc"))


def dose_text(d):
    if d.run_seconds:
        return f"run {d.run_seconds // 60} min / walk {d.walk_seconds // 60} min x {d.sets}"
    text = f"{d.sets} x {d.reps} reps" if d.reps else f"{d.sets} x"
    if d.hold_seconds:
        text += ("," if d.reps else "") + f" {d.hold_seconds} s hold"
    if d.duration_seconds:
        minutes = f"{d.duration_seconds // 60} min"
        text = minutes if d.sets <= 1 else f"{text} {d.duration_seconds} s"
    return text + (f", rest {d.rest_seconds} s" if d.rest_seconds else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program", help='"programs/ID" or just ID')
    parser.add_argument("--server",
                        default=os.environ.get("KNEECOACH_SERVER", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("KNEECOACH_TOKEN", ""),
                        help="access token (sent as 'authorization: Bearer TOKEN')")
    args = parser.parse_args()
    name = args.program if "/" in args.program else f"programs/{args.program}"
    with tempfile.TemporaryDirectory() as out:
        session_pb2, session_grpc = generate(out)
        stub = session_grpc.SessionServiceStub(grpc.insecure_channel(args.server))
        request = session_pb2.GetTodaySessionRequest(program=name)
        try:
            metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
            s = stub.GetTodaySession(request, timeout=10, metadata=metadata).session
        except grpc.RpcError as e:
            sys.exit(f"error: {e.code().name}: {e.details()}")
    print(f"{s.local_date}, day {s.program_day}" + (" (paused)" if s.program_paused else ""))
    if s.message:
        print(s.message)
    for item in s.items:
        done = "  [done]" if item.done else ""
        print(f"  - {item.display_name}: {dose_text(item.dose)}{done}")
        for cue in item.cues:
            print(f"      {cue}")
    for card in s.education_cards:
        print(f"  read: {card.title}")


if __name__ == "__main__":
    main()
