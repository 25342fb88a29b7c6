#!/usr/bin/env bash
# Greedy text of PocketLM's linux-arm64 build against llama.cpp's own linux-arm64 build (LLamaSharp 0.30.0), both under
# qemu-user, on small real models: TinyStories-656K requantized by `pocket quantize` to each legacy type, and stories260K.
# With X86=1 the same comparison runs natively on x86-64 (the baseline).
# Needs: qemu-user-static, Debian's arm64 libc (for PocketLM) and, because llama.cpp's arm64 libraries need glibc 2.38,
# a Debian 13 (trixie) arm64 sysroot, made by the first step below.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${WORK:-/tmp/pocketlm-arm64-oracle}"
mkdir -p "$work/models"
fixtures="$root/tests/PocketLM.Tests/fixtures/models"
if [ "${X86:-0}" = 1 ]; then rid=linux-x64; else rid=linux-arm64; fi

if [ "$rid" = linux-arm64 ] && [ ! -e "$work/trixie/root/lib/ld-linux-aarch64.so.1" ]; then
  t="$work/trixie"; mkdir -p "$t/state/lists/partial" "$t/cache/archives/partial" "$t/debs" "$t/root"; touch "$t/status"
  echo "deb [arch=arm64] http://deb.debian.org/debian trixie main" > "$t/sources.list"
  apt=(-o Dir::Etc::SourceList="$t/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State="$t/state"
       -o Dir::Cache="$t/cache" -o Dir::State::status="$t/status" -o APT::Architecture=arm64 -o APT::Architectures=arm64)
  apt-get "${apt[@]}" update -qq
  (cd "$t/debs" && apt-get "${apt[@]}" download libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libgomp1:arm64 zlib1g:arm64)
  for d in "$t"/debs/*.deb; do dpkg -x "$d" "$t/root"; done
  ln -sfn usr/lib "$t/root/lib"
fi

dotnet publish "$root/bench/Arm64Oracle" -c Release -r $rid --self-contained --artifacts-path "$work/artifacts" -o "$work/llama-$rid" --nologo -v q
dotnet publish "$root/src/PocketLM.Cli" -c Release -r $rid --self-contained -p:InvariantGlobalization=true --artifacts-path "$work/artifacts" -o "$work/pocket-$rid" --nologo -v q

pocket_host="$work/pocket-$rid/pocket"
cp "$fixtures/TinyStories-656K-Q8_0.gguf" "$fixtures/stories260K.gguf" "$work/models/"
for t in Q4_0 Q4_1 Q5_0 Q5_1 F16; do
  [ -e "$work/models/TinyStories-656K-$t.gguf" ] || dotnet "$root/src/PocketLM.Cli/bin/Release/net10.0/pocket.dll" quantize "$fixtures/TinyStories-656K-Q8_0.gguf" "$work/models/TinyStories-656K-$t.gguf" $t >/dev/null
done

if [ "$rid" = linux-arm64 ]; then
  llama() { qemu-aarch64-static -L "$work/trixie/root" "$work/llama-$rid/PocketLM.Tests" "$@" 2>/dev/null; }
  pocket() { qemu-aarch64-static -L / "$pocket_host" "$@" 2>/dev/null; }
else
  llama() { "$work/llama-$rid/PocketLM.Tests" "$@" 2>/dev/null; }
  pocket() { "$pocket_host" "$@" 2>/dev/null; }
fi

same=0; differ=0
for m in "$work"/models/*.gguf; do
  for p in "Once upon a time" "The little dog" "Tom and Sue went to the park. They"; do
    a=$(llama "$m" "$p" 64); b=$(pocket run "$m" -p "$p" -n 64 --temp 0 -t 2)
    if [ "$a" == "$b" ]; then same=$((same + 1)); echo "same    $(basename "$m") | $p"
    else
      differ=$((differ + 1))
      # first differing character, as a rough position
      i=0; while [ "${a:$i:1}" == "${b:$i:1}" ]; do i=$((i + 1)); done
      echo "DIFFER  $(basename "$m") | $p | from character $i: llama.cpp '${a:$i:30}' vs PocketLM '${b:$i:30}'"
    fi
  done
done
echo "$rid: $same same, $differ different (64 greedy tokens each)"
