// Package fer holds the models and the training of the thesis's labs, built
// on GoMLX: Keras-like layers and Sequential models, the thesis's
// architectures by name, Keras-style summaries, training with a progress
// bar and a per-epoch history, evaluation, probabilities and logits, and
// checkpoints that survive a crash. It also holds the backend choice and the
// small statistical models of chapters 2 and 4.
//
// A model is a stack of layers whose first one declares the input shape, as
// in Keras (images are NHWC):
//
//	m, err := fer.NewSequential(
//		fer.Input(28, 28, 1),
//		fer.Rescaling{Scale: 1.0 / 255},
//		fer.Conv2D{Filters: 32, Kernel: 3, Activation: fer.ActReLU},
//		fer.MaxPool2D{Pool: 2},
//		fer.Flatten{},
//		fer.Dense{Units: 10, Activation: fer.ActSoftmax},
//	)
//
// or one of the thesis's architectures: fer.New("mnist-cnn"), fer.MNISTCNN(),
// ... (see Architectures). Then, as with Keras:
//
//	fmt.Print(m.Summary())                      // or gonbui.DisplayHTML(m.SummaryHTML())
//	m.Compile(fer.Adam(0.001), fer.SparseCategoricalCrossEntropy)
//	h, err := m.Fit(train, fer.FitOptions{Epochs: 10, Validation: &val})
//	loss, acc, err := m.Evaluate(test)
//	probs, err := m.Predict(test)               // logits: m.Logits(test)
//
// Data sets enter as Data: fer.FromImageSet for MNIST and FER2013 images
// (raw pixels; the thesis's models divide by 255 in their first layer) and
// fer.FromPoints for make_circles.
//
// Layers follow Keras's semantics: "valid" and "same" padding and output
// shapes, glorot-uniform kernels and zero biases, batch normalization with
// momentum 0.99 and epsilon 1e-3 (4 weights per feature, 2 of them
// non-trainable), dropout and batch normalization switching between
// training and inference. The parameter counts match those Keras reports
// in the thesis. A model is also a plain GoMLX model function
// (Model.ModelFn), and its weights live in a GoMLX model.Store.
//
// Training uses GoMLX's train.Trainer and its SGD and Adam optimizers and
// cross-entropy losses. With FitOptions.CheckpointDir, the weights,
// optimizer state and history are saved atomically after every epoch, and a
// run killed at any moment resumes from its last saved epoch, ending exactly
// where an uninterrupted run would (runs are reproducible for a given seed
// and backend).
//
// Beyond the thesis's settings, Fit takes the ingredients of stronger
// models: FitOptions.Augment (random crops with padding, flips, small
// rotations/zooms/shifts, random erasing; per example, reproducible from the
// seed), FitOptions.LabelSmoothing, FitOptions.CosineDecay and
// FitOptions.ReduceLROnPlateau (the rate per epoch is in History), the
// optimizers AdamW (decoupled weight decay) and SGDMomentum (Keras's
// momentum and Nesterov SGD), and Model.PredictTTA for test-time
// augmentation. Model.AverageCheckpoints and Model.UpdateBatchNorm make
// stochastic weight averaging (SWA) of the checkpoints Fit keeps
// (FitOptions.KeepCheckpoints). FERResNet50 is the thesis's transfer-learning model, with
// LoadKerasH5 for the keras-vggface weights (docs/transfer.md). In a GoNB
// notebook Fit's progress bar updates in place, and the kernel's stop button
// ends a run whose checkpoint a re-run then continues.
//
// Convolutions are lowered in one place (conv2D) so that the pure-Go
// backend can use a faster formulation; see Backend for how the backend is
// chosen.
package fer
