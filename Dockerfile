# The image every step of the compiled pipeline runs in (`ytdnn compile-kfp
# --image`): the project installed with the tested stack. Never built in CI (no
# Docker engine there); see docs/deploy.md.
FROM python:3.10-slim

# TFX 1.16 is built for Keras 2. The project's entry points select it by
# importing `contract`; a step's container runs TFX's own entry point, which
# loads TFMA (and so tf.keras) before any project code, so the image sets it,
# and turns oneDNN off as `contract` does (its docstring says why).
ENV TF_USE_LEGACY_KERAS=1 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    PYTHONUNBUFFERED=1

# The sources stay in /ytdnn: the compiled spec reads the curated schema from
# /ytdnn/contract/schema.pbtxt (kubeflow_v2_runner.IMAGE_SCHEMA_PATH).
# data/ is not copied: the pipeline reads its data from --data-dir.
WORKDIR /ytdnn
COPY setup.py constraints.txt trainer_module.py retrieval_trainer_module.py ./
COPY contract contract
COPY pipeline pipeline
COPY components components
COPY transforms transforms
COPY models models

# pyfarmhash (a TFDV dependency) has no wheel and compiles with g++, which is
# removed again once everything is installed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ \
    && pip install --no-cache-dir -c constraints.txt '.[kubeflow]' \
    && apt-get purge -y --auto-remove g++ \
    && rm -rf /var/lib/apt/lists/*

# Beam's worker boot program, so the same image can also be Dataflow's
# --sdk_container_image. Kubeflow and Vertex AI set each step's command
# explicitly, so this entrypoint does not affect them.
COPY --from=apache/beam_python3.10_sdk:2.62.0 /opt/apache/beam /opt/apache/beam
ENTRYPOINT ["/opt/apache/beam/boot"]
