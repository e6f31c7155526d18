/// A 2-D convolution over batches of images stored as rows of a matrix, computed as one GEMM over
/// unfolded patches (im2col).
///
/// Layout: a batch of images is a matrix (batch × C·H·W), each row an image in channel-major
/// (NCHW) order. Weights are (outputChannels × C·kh·kw), row o holding filter o in (c, ky, kx)
/// order; the bias has one value per output channel. The output is (batch × outputChannels·oh·ow),
/// again NCHW, with oh = ⌊(H + 2p − kh)/s⌋ + 1 and ow likewise (zero padding p, stride s):
///
///   y[b, o, i, j] = bias[o] + Σ_{c,ky,kx} W[o, (c, ky, kx)] · x[b, c, s·i + ky − p, s·j + kx − p].
///
/// The three products a predictive-coding layer needs are ``forward(_:weights:bias:into:workspace:)``,
/// its adjoint with respect to the input ``backwardInput(_:weights:beta:into:workspace:)`` and the
/// weight gradient ``accumulateWeightGradient(input:outputGradient:alpha:weights:bias:workspace:)``.
/// None allocates once its ``Workspace`` exists.
public struct Convolution2D: Sendable, Hashable, Codable {
    public let inputChannels: Int
    public let inputHeight: Int
    public let inputWidth: Int
    public let outputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int

    /// Validates the geometry.
    /// - Throws: ``NumericsError/invalidArgument(_:)`` for a non-positive size or stride, a negative
    ///   padding, or a kernel larger than the padded image.
    public init(inputChannels: Int, inputHeight: Int, inputWidth: Int, outputChannels: Int,
                kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0) throws {
        guard inputChannels > 0, inputHeight > 0, inputWidth > 0, outputChannels > 0, kernelHeight > 0, kernelWidth > 0 else {
            throw NumericsError.invalidArgument("convolution sizes must be positive")
        }
        guard stride > 0, padding >= 0 else {
            throw NumericsError.invalidArgument("convolution stride must be positive and padding non-negative (got \(stride), \(padding))")
        }
        guard inputHeight + 2 * padding >= kernelHeight, inputWidth + 2 * padding >= kernelWidth else {
            throw NumericsError.invalidArgument("kernel \(kernelHeight)×\(kernelWidth) exceeds the padded image \(inputHeight + 2 * padding)×\(inputWidth + 2 * padding)")
        }
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// Output height ⌊(H + 2p − kh)/s⌋ + 1.
    public var outputHeight: Int { (inputHeight + 2 * padding - kernelHeight) / stride + 1 }
    /// Output width ⌊(W + 2p − kw)/s⌋ + 1.
    public var outputWidth: Int { (inputWidth + 2 * padding - kernelWidth) / stride + 1 }
    /// Features per input image, C·H·W.
    public var inputFeatures: Int { inputChannels * inputHeight * inputWidth }
    /// Features per output image, outputChannels·oh·ow.
    public var outputFeatures: Int { outputChannels * outputHeight * outputWidth }
    /// Length of one unfolded patch, C·kh·kw (the columns of the weight matrix).
    public var patchSize: Int { inputChannels * kernelHeight * kernelWidth }
    /// Output pixels per image, oh·ow.
    public var outputPixels: Int { outputHeight * outputWidth }

    /// Scratch buffers for one batch size, allocated once.
    public struct Workspace<Scalar: PCScalar>: Sendable {
        /// The batch size these buffers serve.
        public let batch: Int
        /// The geometry the buffers were sized for; every call checks it is its own, since the
        /// kernels index the buffers by the geometry without bounds checks.
        let geometry: Convolution2D
        /// Unfolded patches, (batch·oh·ow × C·kh·kw).
        var columns: Matrix<Scalar>
        /// Gradient with respect to the patches, (batch·oh·ow × C·kh·kw).
        var columnGradient: Matrix<Scalar>
        /// Outputs or output gradients in pixel-major order, (batch·oh·ow × outputChannels).
        var pixelMajor: Matrix<Scalar>
    }

    /// Allocates the scratch buffers for batches of `batch` images.
    public func makeWorkspace<Scalar: PCScalar>(batch: Int, of _: Scalar.Type = Scalar.self) throws -> Workspace<Scalar> {
        let rows = batch * outputPixels
        return Workspace(batch: batch, geometry: self,
                         columns: try Matrix(rows: rows, columns: patchSize),
                         columnGradient: try Matrix(rows: rows, columns: patchSize),
                         pixelMajor: try Matrix(rows: rows, columns: outputChannels))
    }

    private func check<Scalar>(_ m: Matrix<Scalar>, features: Int, batch: Int, _ what: String) throws {
        guard m.rows == batch, m.columns == features else {
            throw NumericsError.shapeMismatch(operation: "Convolution2D \(what)", expected: Shape(batch, features), got: m.shape)
        }
    }

    private func checkWorkspace<Scalar>(_ workspace: Workspace<Scalar>) throws {
        guard workspace.geometry == self else {
            throw NumericsError.invalidArgument("Convolution2D: a workspace made for another convolution (\(workspace.geometry)) was passed to \(self)")
        }
    }

    private func checkWeights<Scalar>(_ w: Matrix<Scalar>) throws {
        guard w.rows == outputChannels, w.columns == patchSize else {
            throw NumericsError.shapeMismatch(operation: "Convolution2D weights", expected: Shape(outputChannels, patchSize), got: w.shape)
        }
    }

    /// y = conv(x, W) + bias.
    /// - Parameters:
    ///   - input: x, (batch × C·H·W).
    ///   - weights: W, (outputChannels × C·kh·kw).
    ///   - bias: (outputChannels), or `nil`.
    ///   - output: y, (batch × outputChannels·oh·ow).
    public func forward<Scalar: PCScalar>(_ input: Matrix<Scalar>, weights: Matrix<Scalar>, bias: Vector<Scalar>?,
                                          into output: inout Matrix<Scalar>, workspace: inout Workspace<Scalar>) throws {
        try checkWorkspace(workspace)
        let batch = workspace.batch
        try check(input, features: inputFeatures, batch: batch, "input")
        try check(output, features: outputFeatures, batch: batch, "output")
        try checkWeights(weights)
        try unfold(input, into: &workspace.columns)
        try Matrix.linear(workspace.columns, weights, transposeB: true, bias: bias, activation: .identity,
                          into: &workspace.pixelMajor)
        let (pixels, channels) = (outputPixels, outputChannels)
        let status = workspace.pixelMajor.withUnsafeStorage { pin, _ in
            output.withUnsafeMutableStorage { pout, _ in Scalar.permuteChannels(0, batch, pixels, channels, 1, pin, 0, pout) }
        }
        try checkStatus(status, "permute_channels")
    }

    /// The adjoint with respect to the input: dx = β·dx + convᵀ(dy, W).
    /// - Parameters:
    ///   - outputGradient: dy, (batch × outputChannels·oh·ow).
    ///   - inputGradient: dx, (batch × C·H·W).
    public func backwardInput<Scalar: PCScalar>(_ outputGradient: Matrix<Scalar>, weights: Matrix<Scalar>, beta: Scalar = 0,
                                                into inputGradient: inout Matrix<Scalar>, workspace: inout Workspace<Scalar>) throws {
        try checkWorkspace(workspace)
        let batch = workspace.batch
        try check(outputGradient, features: outputFeatures, batch: batch, "output gradient")
        try check(inputGradient, features: inputFeatures, batch: batch, "input gradient")
        try checkWeights(weights)
        try toPixelMajor(outputGradient, workspace: &workspace)
        try Matrix.multiply(workspace.pixelMajor, weights, into: &workspace.columnGradient)
        let g = (inputChannels, inputHeight, inputWidth, kernelHeight, kernelWidth, stride, padding)
        let status = workspace.columnGradient.withUnsafeStorage { pc, _ in
            inputGradient.withUnsafeMutableStorage { px, _ in
                Scalar.col2im(batch, g.0, g.1, g.2, g.3, g.4, g.5, g.6, pc, beta, px)
            }
        }
        try checkStatus(status, "col2im")
    }

    /// Accumulates the parameter gradients of ⟨dy, conv(x, W) + b⟩: W += α·dyᵀ·patches(x) and
    /// bias += α·Σ dy over batch and pixels.
    /// - Parameters:
    ///   - input: x, (batch × C·H·W).
    ///   - outputGradient: dy, (batch × outputChannels·oh·ow).
    ///   - weights: receives the weight gradient, (outputChannels × C·kh·kw).
    ///   - bias: receives the bias gradient, (outputChannels), when given.
    public func accumulateWeightGradient<Scalar: PCScalar>(
        input: Matrix<Scalar>, outputGradient: Matrix<Scalar>, alpha: Scalar, weights: inout Matrix<Scalar>,
        bias: UnsafeMutablePointer<Vector<Scalar>>? = nil, workspace: inout Workspace<Scalar>
    ) throws {
        try checkWorkspace(workspace)
        let batch = workspace.batch
        try check(input, features: inputFeatures, batch: batch, "input")
        try check(outputGradient, features: outputFeatures, batch: batch, "output gradient")
        try checkWeights(weights)
        try unfold(input, into: &workspace.columns)
        try toPixelMajor(outputGradient, workspace: &workspace)
        try Matrix.accumulateOuterProducts(workspace.pixelMajor, workspace.columns, alpha: alpha, into: &weights)
        if let bias {
            try workspace.pixelMajor.sumColumns(alpha: alpha, beta: 1, into: &bias.pointee)
        }
    }

    private func unfold<Scalar: PCScalar>(_ input: Matrix<Scalar>, into columns: inout Matrix<Scalar>) throws {
        let batch = input.rows
        let g = (inputChannels, inputHeight, inputWidth, kernelHeight, kernelWidth, stride, padding)
        let status = input.withUnsafeStorage { px, _ in
            columns.withUnsafeMutableStorage { pc, _ in Scalar.im2col(batch, g.0, g.1, g.2, g.3, g.4, g.5, g.6, px, pc) }
        }
        try checkStatus(status, "im2col")
    }

    private func toPixelMajor<Scalar: PCScalar>(_ gradient: Matrix<Scalar>, workspace: inout Workspace<Scalar>) throws {
        let (batch, pixels, channels) = (workspace.batch, outputPixels, outputChannels)
        let status = gradient.withUnsafeStorage { pin, _ in
            workspace.pixelMajor.withUnsafeMutableStorage { pout, _ in Scalar.permuteChannels(1, batch, pixels, channels, 1, pin, 0, pout) }
        }
        try checkStatus(status, "permute_channels")
    }
}
