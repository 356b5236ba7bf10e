"""Package metadata and the tested stack; constraints.txt pins everything else."""

import setuptools

setuptools.setup(
    name='ytdnn',
    version='0.1.0',
    description=('The YouTube DNN recommender (Covington et al., RecSys 2016) '
                 'as a TFX pipeline on MovieLens 1M.'),
    python_requires='>=3.10,<3.11',
    # One package per layer (README: How the code is laid out).
    packages=setuptools.find_packages(include=[
        'contract', 'data', 'transforms', 'models', 'components',
        'components.*', 'pipeline', 'serving', 'reporting', 'cli',
        'benchmarks']),
    py_modules=['trainer_module', 'retrieval_trainer_module'],
    package_data={'contract': ['schema.pbtxt']},
    install_requires=[
        'tfx==1.16.0',
        'tensorflow==2.16.2',
        'tf_keras==2.16.0',
        'tensorflow-transform==1.16.0',
        'tensorflow-model-analysis==0.47.1',
        'tensorflow-data-validation==1.16.1',
        'ml-metadata==1.16.0',
        # TFT 1.16's deep copy breaks on Beam >= 2.63 (AppliedPTransform gained
        # required arguments); 2.62.0 is the newest Beam that Transform runs on.
        'apache-beam[gcp]==2.62.0',
        # TFT imports dill; Beam 2.62 pins the version.
        'dill==0.3.1.1',
    ],
    extras_require={
        # selenium drives the Debian chromium that .ci/run installs, for the
        # report's browser test.
        # pytest-xdist: `make test` runs on both cores (tests/conftest.py).
        'test': ['pytest==9.2.0', 'pytest-xdist==3.8.0', 'selenium==4.32.0',
                 # A GCS server on loopback for the Kubeflow entry point's
                 # directory-marker repair (tests/test_kfp_executor.py).
                 'gcp-storage-emulator==2026.7.19',
                 # An S3 server on loopback for the Kubeflow spec's execution
                 # test. Its server mode needs Flask; moto[server] would also
                 # pull every AWS service's dependencies.
                 'moto[s3]==5.2.5', 'flask==3.1.3', 'flask-cors==6.0.5'],
        # The newest kfp 2.x needs protobuf 6, which TF 2.16 and TFX 1.16 cannot
        # use; 2.5.0 is the one pip settles on with this stack.
        # tensorflow-io gives TensorFlow the s3:// filesystem it dropped in
        # 2.6 (0.37.1 is the release built for TF 2.16), and Beam's aws extra
        # gives Beam its own: self-hosted Kubeflow keeps artifacts in MinIO.
        'kubeflow': ['kfp==2.5.0', 'tensorflow-io==0.37.1',
                     'apache-beam[aws]==2.62.0'],
        # The matrix-factorization baselines of benchmarks/baselines.py, and
        # the process-tree memory sampling of the pipeline benchmarks.
        'benchmarks': ['scikit-surprise==1.1.5', 'psutil==7.2.2'],
    },
    entry_points={'console_scripts': ['ytdnn=cli.main:main']},
)
