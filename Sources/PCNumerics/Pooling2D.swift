/// Average or max pooling over square windows of NCHW image batches stored as matrix rows.
///
/// y[b, c, i, j] = mean or max of x[b, c, s·i + ky, s·j + kx] over 0 ≤ ky, kx < window, with
/// oh = ⌊(H − window)/s⌋ + 1 (no padding). Max pooling records the position of each maximum in
/// its ``Workspace`` so that ``backward(_:beta:into:workspace:)`` routes gradients through it.
public struct Pooling2D: Sendable, Hashable, Codable {
    /// How a window is summarised.
    public enum Mode: String, Sendable, Hashable, Codable { case average, max }

    public let mode: Mode
    public let channels: Int
    public let inputHeight: Int
    public let inputWidth: Int
    public let window: Int
    public let stride: Int

    /// - Throws: ``NumericsError/invalidArgument(_:)`` for non-positive sizes or a window larger than the image.
    public init(mode: Mode, channels: Int, inputHeight: Int, inputWidth: Int, window: Int, stride: Int? = nil) throws {
        let stride = stride ?? window
        guard channels > 0, inputHeight > 0, inputWidth > 0, window > 0, stride > 0 else {
            throw NumericsError.invalidArgument("pooling sizes must be positive")
        }
        guard window <= inputHeight, window <= inputWidth else {
            throw NumericsError.invalidArgument("pooling window \(window) exceeds the image \(inputHeight)×\(inputWidth)")
        }
        self.mode = mode
        self.channels = channels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.window = window
        self.stride = stride
    }

    public var outputHeight: Int { (inputHeight - window) / stride + 1 }
    public var outputWidth: Int { (inputWidth - window) / stride + 1 }
    public var inputFeatures: Int { channels * inputHeight * inputWidth }
    public var outputFeatures: Int { channels * outputHeight * outputWidth }

    /// The positions of the maxima of the last forward pass, (batch × outputFeatures).
    public struct Workspace: Sendable {
        public let batch: Int
        /// The geometry the positions belong to; every call checks it is its own, since the
        /// kernels index the input by the recorded positions without bounds checks.
        let geometry: Pooling2D
        var argmax: [Int32]
    }

    public func makeWorkspace(batch: Int) -> Workspace {
        Workspace(batch: batch, geometry: self, argmax: [Int32](repeating: 0, count: batch * outputFeatures))
    }

    private func checkWorkspace(_ workspace: Workspace) throws {
        guard workspace.geometry == self else {
            throw NumericsError.invalidArgument("Pooling2D: a workspace made for another pooling (\(workspace.geometry)) was passed to \(self)")
        }
    }

    private var modeCode: Int32 { mode == .average ? 0 : 1 }

    /// y = pool(x).
    /// - Parameters:
    ///   - input: x, (batch × C·H·W).
    ///   - output: y, (batch × C·oh·ow).
    public func forward<Scalar: PCScalar>(_ input: Matrix<Scalar>, into output: inout Matrix<Scalar>,
                                          workspace: inout Workspace) throws {
        try checkWorkspace(workspace)
        guard input.rows == workspace.batch, input.columns == inputFeatures else {
            throw NumericsError.shapeMismatch(operation: "Pooling2D input", expected: Shape(workspace.batch, inputFeatures), got: input.shape)
        }
        guard output.rows == workspace.batch, output.columns == outputFeatures else {
            throw NumericsError.shapeMismatch(operation: "Pooling2D output", expected: Shape(workspace.batch, outputFeatures), got: output.shape)
        }
        let (m, b, c, h, w, k, s) = (modeCode, workspace.batch, channels, inputHeight, inputWidth, window, stride)
        let status = input.withUnsafeStorage { px, _ in
            output.withUnsafeMutableStorage { py, _ in
                workspace.argmax.withUnsafeMutableBufferPointer { pa in Scalar.poolForward(m, b, c, h, w, k, s, px, py, pa.baseAddress) }
            }
        }
        try checkStatus(status, "pool_forward")
    }

    /// The adjoint: dx = β·dx + poolᵀ(dy) (average spreads dy/window² over each window; max routes
    /// dy to the recorded maximum of the last ``forward(_:into:workspace:)``).
    public func backward<Scalar: PCScalar>(_ outputGradient: Matrix<Scalar>, beta: Scalar = 0,
                                           into inputGradient: inout Matrix<Scalar>, workspace: Workspace) throws {
        try checkWorkspace(workspace)
        guard outputGradient.rows == workspace.batch, outputGradient.columns == outputFeatures else {
            throw NumericsError.shapeMismatch(operation: "Pooling2D output gradient", expected: Shape(workspace.batch, outputFeatures),
                                              got: outputGradient.shape)
        }
        guard inputGradient.rows == workspace.batch, inputGradient.columns == inputFeatures else {
            throw NumericsError.shapeMismatch(operation: "Pooling2D input gradient", expected: Shape(workspace.batch, inputFeatures),
                                              got: inputGradient.shape)
        }
        let (m, b, c, h, w, k, s) = (modeCode, workspace.batch, channels, inputHeight, inputWidth, window, stride)
        let status = outputGradient.withUnsafeStorage { pdy, _ in
            inputGradient.withUnsafeMutableStorage { pdx, _ in
                workspace.argmax.withUnsafeBufferPointer { pa in Scalar.poolBackward(m, b, c, h, w, k, s, pdy, pa.baseAddress, beta, pdx) }
            }
        }
        try checkStatus(status, "pool_backward")
    }
}
